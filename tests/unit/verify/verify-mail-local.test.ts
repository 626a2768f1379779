import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import { verifyMailLocal } from '../../../electron/engine/verify/verify-mail';

const meta = (uid: number) => ({ uid, uidValidity: '5', internalDate: new Date(Date.UTC(2020, 0, uid)), flags: [], messageId: `<${uid}@x>`, subject: null, from: null });

describe('verifyMailLocal (the History screen: no server)', () => {
  let root: string;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'fanout-verify-local-'));
    writeFileSync(join(root, 'folders.json'), JSON.stringify({ version: 1, dirs: { INBOX: 'INBOX', 'Archive/2019': 'Archive/2019' } }));
    for (const [path, dir] of [['INBOX', 'INBOX'], ['Archive/2019', 'Archive/2019']] as const) {
      const store = await FolderStore.open(join(root, dir), path);
      for (const uid of [1, 2, 3]) await store.writeMessage(Buffer.from(`Subject: ${path} ${uid}\r\n\r\nbody\r\n`), meta(uid));
      await store.close();
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('an intact archive is ok', async () => {
    const r = await verifyMailLocal(root);
    expect(r.ok).toBe(true);
    expect(r.checked.files).toBe(6);
  });

  it('finds a missing, a corrupt and an extra file', async () => {
    unlinkSync(join(root, 'INBOX', '2.eml'));
    writeFileSync(join(root, 'Archive/2019', '3.eml'), 'Subject: changed!!!!!!!!!\r\n\r\nbody\r\n');
    writeFileSync(join(root, 'INBOX', '17.eml'), 'stray');
    const r = await verifyMailLocal(root);
    expect(r.ok).toBe(false);
    expect(r.missing.map((p) => [p.where, p.uid])).toEqual([['INBOX', 2]]);
    expect(r.corrupt.map((p) => [p.where, p.uid])).toEqual([['Archive/2019', 3]]);
    expect(r.extra.map((p) => [p.where, p.file])).toEqual([['INBOX', '17.eml']]);
  });
});
