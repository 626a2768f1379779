/**
 * HE s15: verify mail reads folders.json's directory of a folder without the containment check
 * `fanout mail` makes (account-folders.ts folderAbsDir → UNSAFE_PATH). A folders.json naming a
 * directory outside the account's folder (hand-edited, or a damaged archive) makes verify hash and
 * list files outside the archive, and answer ok over them: the archive it was asked about is not
 * what it checked. (The index line's file has its own inline `startsWith` check, verify-mail.ts:95,
 * a second copy of output/safe-path.ts isInside.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import { verifyMailLocal } from '../../../electron/engine/verify/verify-mail';

const meta = (uid: number) => ({ uid, uidValidity: '5', internalDate: new Date(Date.UTC(2020, 0, uid)), flags: [], messageId: `<${uid}@x>`, subject: null, from: null });

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'fanout-he-verify-outside-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

it('a folders.json directory outside the account folder is reported, not verified as the archive', async () => {
  const root = join(base, 'me@imap.example.org');
  mkdirSync(root);
  // A folder store outside the account folder, whole and intact.
  const store = await FolderStore.open(join(base, 'elsewhere'), 'INBOX');
  for (const uid of [1, 2]) await store.writeMessage(Buffer.from(`Subject: ${uid}\r\n\r\nbody\r\n`), meta(uid));
  await store.close();
  writeFileSync(join(root, 'folders.json'), JSON.stringify({ version: 1, dirs: { INBOX: '../elsewhere' } }));

  const r = await verifyMailLocal(root);
  // On HEAD: ok, 2 files checked — files outside the archive.
  expect(r.ok).toBe(false);
  expect(r.checked.files).toBe(0);
  expect(r.corrupt.map((p) => [p.where, p.file])).toEqual([['INBOX', 'folders.json']]);
  expect(r.corrupt[0]!.detail).toMatch(/outside the account's folder/);
});

it('a generation directory state.json (or an index line) names outside the folder is not looked into for extra files', async () => {
  const root = join(base, 'me@imap.example.org');
  const store = await FolderStore.open(join(root, 'INBOX'), 'INBOX');
  store.generation('5');
  for (const uid of [1, 2]) await store.writeMessage(Buffer.from(`Subject: ${uid}\r\n\r\nbody\r\n`), meta(uid));
  store.state.generations.push({ uidValidity: '6', dir: '../../outside' });
  await store.saveState();
  await store.close();
  writeFileSync(join(root, 'folders.json'), JSON.stringify({ version: 1, dirs: { INBOX: 'INBOX' } }));
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', '7.eml'), 'not this archive');
  const r = await verifyMailLocal(root);
  expect(r.extra).toEqual([]);
  expect(r.ok).toBe(true);
});
