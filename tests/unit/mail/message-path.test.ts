import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import type { MessageMeta } from '../../../electron/engine/mail/message-meta';

const meta = (uid: number, uidValidity: string): MessageMeta => ({ uid, uidValidity, internalDate: new Date(Date.UTC(2020, 1, 3)), flags: [], messageId: null, subject: null, from: null });

/**
 * Where a message file goes: its generation's directory is resolved and checked once per folder
 * (folder-store.ts `#messagePath`), not each message's path; the files, their index names and the
 * refusal of a generation directory outside the folder stay as with the per-message check.
 */
describe('message paths of a folder store', () => {
  let base: string;
  let dir: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'fanout-paths-'));
    dir = join(base, 'INBOX');
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('writes each generation\'s messages where path.resolve puts them, named so in the index', async () => {
    const store = await FolderStore.open(dir, 'INBOX');
    const recs = [];
    for (const [uid, uv] of [[5, '7'], [6, '7'], [1, '9'], [2, '9'], [7, '7']] as const) recs.push(await store.writeMessage(Buffer.from(`m${uid}`), meta(uid, uv)));
    expect(recs.map((r) => r.file)).toEqual(['5.eml', '6.eml', 'uidvalidity-9/1.eml', 'uidvalidity-9/2.eml', '7.eml']);
    for (const r of recs) expect(readFileSync(resolve(dir, ...r.file.split('/')), 'utf8')).toBe(`m${r.uid}`);
    await store.close();
  });

  it('refuses a generation directory outside the folder (a damaged state.json), for every message of it', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ version: 1, path: 'INBOX', generations: [{ uidValidity: '7', dir: '' }, { uidValidity: '9', dir: '../outside' }], synced: null }));
    const store = await FolderStore.open(dir, 'INBOX');
    for (const uid of [1, 2]) await expect(store.writeMessage(Buffer.from('x'), meta(uid, '9'))).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    expect(existsSync(join(base, 'outside'))).toBe(false);
    // The folder's own generation still writes.
    expect((await store.writeMessage(Buffer.from('y'), meta(3, '7'))).file).toBe('3.eml');
    await store.close();
  });
});
