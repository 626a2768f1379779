import { describe, expect, it } from 'vitest';
import { repairListOf } from '../../../electron/engine/mail/repair-list';

describe('repairListOf: what fanout verify mail --repair fetches again', () => {
  it('files missing or damaged, by folder; not a message merely not archived, an unreadable file, or a directory no record names', () => {
    const list = repairListOf({
      missing: [
        { where: 'INBOX', uid: 3, file: '3.eml', detail: 'in the index, not on disk' },
        { where: 'INBOX', uid: 9, detail: 'on the server, not in the archive' },
        { where: 'Sent', file: 'index.jsonl', detail: 'gone' },
      ],
      corrupt: [
        { where: 'INBOX', uid: 4, file: '4.eml', detail: 'sha256 differs' },
        { where: 'INBOX', uid: 4, file: '4.eml', detail: 'archived 10 bytes, the server says 12' },
        { where: 'Sent', uid: 7, file: 'uidvalidity-5/7.eml', detail: 'sha256 differs' },
        { where: 'Sent', uid: 8, file: '8.eml', detail: 'cannot be read: no permission (EACCES)' },
        { where: 'Old/ (folder not recorded)', uid: 1, file: '1.eml', detail: 'sha256 differs' },
      ],
    });
    expect(list).toEqual({
      INBOX: [
        { uid: 3, file: '3.eml' },
        { uid: 4, file: '4.eml' },
      ],
      Sent: [{ uid: 7, file: 'uidvalidity-5/7.eml' }],
    });
  });
});
