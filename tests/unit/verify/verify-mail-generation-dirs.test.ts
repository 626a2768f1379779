/**
 * verify mail's generation directories come from mail/generations.ts generationDirsOf (the one rule
 * for which of a folder's generation directories count: inside the folder, each directory once),
 * not from a copy of it beside it. The copy kept each directory by its spelling: an index line
 * naming `uidvalidity-6/./3.eml` (hand-edited; the file itself whole) made the same directory count
 * twice, so its file was re-hashed ok and also listed as extra, and an orphan there was listed twice.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import { verifyMailLocal } from '../../../electron/engine/verify/verify-mail';

const meta = (uid: number, uidValidity: string) => ({ uid, uidValidity, internalDate: new Date(Date.UTC(2020, 0, uid)), flags: [], messageId: `<${uid}@x>`, subject: null, from: null });

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'fanout-verify-gen-dirs-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

it('a generation directory named two ways is one directory: its file checked once, not extra; an orphan listed once', async () => {
  const root = join(base, 'me@imap.example.org');
  const store = await FolderStore.open(join(root, 'INBOX'), 'INBOX');
  store.generation('5');
  await store.writeMessage(Buffer.from('Subject: 1\r\n\r\nbody\r\n'), meta(1, '5'));
  store.generation('6');
  await store.writeMessage(Buffer.from('Subject: 3\r\n\r\nbody\r\n'), meta(3, '6'));
  await store.saveState();
  await store.close();
  writeFileSync(join(root, 'folders.json'), JSON.stringify({ version: 1, dirs: { INBOX: 'INBOX' } }));
  const index = join(root, 'INBOX', 'index.jsonl');
  const text = readFileSync(index, 'utf8');
  expect(text).toContain('"file":"uidvalidity-6/3.eml"');
  writeFileSync(index, text.replace('"file":"uidvalidity-6/3.eml"', '"file":"uidvalidity-6/./3.eml"'));
  mkdirSync(join(root, 'INBOX', 'uidvalidity-6'), { recursive: true });
  writeFileSync(join(root, 'INBOX', 'uidvalidity-6', '9.eml'), 'an orphan');

  const r = await verifyMailLocal(root);
  expect(r.checked.files).toBe(2);
  expect(r.missing).toEqual([]);
  expect(r.corrupt).toEqual([]);
  expect(r.extra.map((p) => p.file)).toEqual(['uidvalidity-6/9.eml']);
});
