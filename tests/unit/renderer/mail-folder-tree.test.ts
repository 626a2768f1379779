import { describe, expect, it } from 'vitest';
import type { MailFolderInfo } from '../../../shared/ipc';
import { folderRows } from '../../../renderer/src/lib/mail-folder-tree';

const f = (path: string, delimiter: string, selectable = true): MailFolderInfo => ({ path, name: path.slice(path.lastIndexOf(delimiter) + 1), delimiter, messages: 1, selectable });
const show = (rows: ReturnType<typeof folderRows>) => rows.map((r) => `${'  '.repeat(r.depth)}${r.folder.name}${r.folder.selectable ? '' : ' (container)'}`);

describe('folderRows', () => {
  it('puts a parent the server did not list above its children, as a container (the INBOX-indent bug)', () => {
    expect(show(folderRows([f('INBOX', '/'), f('Archive/2019', '/'), f('Archive/2020', '/'), f('Sent', '/')]))).toEqual([
      'INBOX',
      'Archive (container)',
      '  2019',
      '  2020',
      'Sent',
    ]);
  });

  it('keeps a listed \\Noselect parent and the INBOX. prefix hierarchy (Courier, Cyrus)', () => {
    expect(show(folderRows([f('INBOX', '.'), f('INBOX.Archive', '.', false), f('INBOX.Archive.2019', '.'), f('INBOX.Sent', '.')]))).toEqual([
      'INBOX',
      '  Archive (container)',
      '    2019',
      '  Sent',
    ]);
  });
});
