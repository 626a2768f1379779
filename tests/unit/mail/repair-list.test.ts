import { describe, expect, it } from 'vitest';
import { repairListOf } from '../../../electron/engine/mail/repair-list';

describe('repairListOf: what fanout verify mail --repair fetches again', () => {
  it('files missing or damaged, by folder; not a message merely not archived, an unreadable file, or a directory no record names', () => {
    const list = repairListOf({
      missing: [
        { where: 'INBOX', uid: 3, file: '3.eml', reason: 'missing', detail: 'in the index, not on disk' },
        { where: 'INBOX', uid: 9, reason: 'not-archived', detail: 'on the server, not in the archive' },
        { where: 'Sent', file: 'index.jsonl', reason: 'missing', detail: 'gone' },
      ],
      corrupt: [
        { where: 'INBOX', uid: 4, file: '4.eml', reason: 'hash', detail: 'sha256 differs' },
        { where: 'INBOX', uid: 4, file: '4.eml', reason: 'size', detail: 'archived 10 bytes, the server says 12' },
        { where: 'INBOX', uid: 5, file: '5.eml', reason: 'unreadable', detail: 'cannot be read: EIO' },
        { where: 'Sent', uid: 7, file: 'uidvalidity-5/7.eml', reason: 'hash', detail: 'sha256 differs' },
        { where: 'Sent', uid: 8, file: '8.eml', reason: 'denied', detail: 'cannot be read: no permission (EACCES)' },
        { where: 'Old/ (folder not recorded)', uid: 1, file: '1.eml', reason: 'unrecorded', detail: 'sha256 differs' },
      ],
    });
    expect(list).toEqual({
      INBOX: [
        { uid: 3, file: '3.eml' },
        { uid: 4, file: '4.eml' },
        { uid: 5, file: '5.eml' },
      ],
      Sent: [{ uid: 7, file: 'uidvalidity-5/7.eml' }],
    });
  });

  it('decides on the reason, not on the wording (HE s17 #10): reworded details change nothing', () => {
    const list = repairListOf({
      missing: [{ where: 'INBOX', uid: 2, file: '2.eml', reason: 'missing', detail: 'no longer on disk' }],
      corrupt: [
        // A file this user may not read, its detail reworded: still never fetched over.
        { where: 'INBOX', uid: 8, file: '8.eml', reason: 'denied', detail: 'not readable by this user (EACCES)' },
        // A directory no record names, its where reworded.
        { where: 'Old (no folder recorded)', uid: 1, file: '1.eml', reason: 'unrecorded', detail: 'sha256 differs' },
        // A reason this build does not know (a report from another build, over IPC): unknown, not repaired.
        { where: 'INBOX', uid: 6, file: '6.eml', reason: 'unknown', detail: 'sha256 differs' },
      ],
    });
    expect(list).toEqual({ INBOX: [{ uid: 2, file: '2.eml' }] });
  });
});
