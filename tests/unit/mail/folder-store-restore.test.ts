import { mkdirSync, readFileSync, statSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeMeta, indexLines, tempDirEach } from './store-bed';
import { FolderStore } from '../../../electron/engine/mail/folder-store';

const meta = storeMeta;

const lines = indexLines;

/** What a re-run finds lost from a folder's archive (`checkFiles`, `checkDisk`) and how it records the repair (`forget`, `compact`). */
describe('FolderStore: files lost or damaged since the last run', () => {
  let dir = '';
  tempDirEach('fanout-restore-', (d) => (dir = d));

  async function archived(n: number): Promise<FolderStore> {
    const store = await FolderStore.open(dir, 'INBOX');
    store.generation('7');
    for (let uid = 1; uid <= n; uid++) await store.writeMessage(Buffer.from(`message ${uid}`), meta(uid));
    store.state.synced = { uidValidity: '7', uidNext: n + 1, highestModseq: '9', messages: n, ...(await store.diskRecord()) };
    await store.saveState();
    await store.close();
    return FolderStore.open(dir, 'INBOX', { deferIndex: true });
  }

  it('checkDisk: true as the last run left it; false once a file is deleted, an index line lost, or a state has no disk record', async () => {
    let store = await archived(4);
    expect(store.state.synced).toMatchObject({ files: 4, indexBytes: readFileSync(join(dir, 'index.jsonl')).length });
    expect(await store.checkDisk()).toBe(true);
    unlinkSync(join(dir, '2.eml'));
    store = await FolderStore.open(dir, 'INBOX', { deferIndex: true });
    expect(await store.checkDisk()).toBe(false);
    writeFileSync(join(dir, '2.eml'), 'message 2');
    // Back with the same bytes but not its mtime (INTERNALDATE): not as the last run left it.
    store = await FolderStore.open(dir, 'INBOX', { deferIndex: true });
    expect(await store.checkDisk()).toBe(false);
    const when = new Date(Date.UTC(2020, 1, 3));
    utimesSync(join(dir, '2.eml'), when, when);
    store = await FolderStore.open(dir, 'INBOX', { deferIndex: true });
    expect(await store.checkDisk()).toBe(true);
    // Torn (count and index unchanged), then overwritten at its size: each seen.
    truncateSync(join(dir, '3.eml'), 2);
    store = await FolderStore.open(dir, 'INBOX', { deferIndex: true });
    expect(await store.checkDisk()).toBe(false);
    writeFileSync(join(dir, '3.eml'), 'MESSAGE 3');
    store = await FolderStore.open(dir, 'INBOX', { deferIndex: true });
    expect(await store.checkDisk()).toBe(false);
    writeFileSync(join(dir, '3.eml'), 'message 3');
    utimesSync(join(dir, '3.eml'), when, when);
    store = await FolderStore.open(dir, 'INBOX', { deferIndex: true });
    expect(await store.checkDisk()).toBe(true);
    const text = readFileSync(join(dir, 'index.jsonl'), 'utf8');
    writeFileSync(join(dir, 'index.jsonl'), text.split('\n').slice(0, 3).join('\n') + '\n');
    store = await FolderStore.open(dir, 'INBOX', { deferIndex: true });
    expect(await store.checkDisk()).toBe(false);
    writeFileSync(join(dir, 'index.jsonl'), text);
    // A state written before the disk record existed, or before it had the files' bytes and mtimes: planned once.
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { synced: Record<string, unknown> };
    delete state.synced.emlBytes;
    delete state.synced.emlMtimes;
    writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
    store = await FolderStore.open(dir, 'INBOX', { deferIndex: true });
    expect(await store.checkDisk()).toBe(false);
    delete state.synced.files;
    delete state.synced.indexBytes;
    writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
    store = await FolderStore.open(dir, 'INBOX', { deferIndex: true });
    expect(await store.checkDisk()).toBe(false);
  });

  it('checkFiles: a deleted file, a truncated one and one replaced by a directory; not a whole one', async () => {
    const store = await archived(5);
    await store.loadIndex();
    unlinkSync(join(dir, '2.eml'));
    truncateSync(join(dir, '4.eml'), 3);
    unlinkSync(join(dir, '5.eml'));
    mkdirSync(join(dir, '5.eml'));
    expect(await store.checkFiles('7')).toEqual([2, 4, 5]);
    expect(await store.checkFiles('8')).toEqual([]);
  });

  it('checkFiles: a file of the index\'s size but not at its INTERNALDATE is hashed: other bytes are found, the same bytes get their mtime back', async () => {
    const store = await archived(3);
    await store.loadIndex();
    const now = new Date();
    writeFileSync(join(dir, '1.eml'), 'MESSAGE 1');
    utimesSync(join(dir, '2.eml'), now, now);
    expect(await store.checkFiles('7')).toEqual([1]);
    expect(statSync(join(dir, '2.eml')).mtimeMs).toBe(Date.UTC(2020, 1, 3));
    expect(await store.checkFiles('7')).toEqual([1]);
  });

  it('checkFiles follows a record linked to an older generation\'s file', async () => {
    const store = await archived(2);
    await store.loadIndex();
    const old = (await lines(dir))[0]!;
    store.generation('8');
    await store.link(old, '8', 10, []);
    expect(await store.checkFiles('8')).toEqual([]);
    unlinkSync(join(dir, old.file));
    expect(await store.checkFiles('8')).toEqual([10]);
    // Reopened: the link is known from its line.
    const again = await FolderStore.open(dir, 'INBOX');
    expect(await again.checkFiles('8')).toEqual([10]);
    expect(await again.checkFiles('7')).toEqual([1]);
  });

  it('forget + write again: compact keeps the new line (one per message); a run that stops before keeps the old one', async () => {
    const store = await archived(3);
    await store.loadIndex();
    unlinkSync(join(dir, '2.eml'));
    store.forget('7', [2]);
    expect(store.has('7', 2)).toBe(false);
    expect(store.countIn('7')).toBe(2);
    // Stopped before the message came again: the old line stays.
    await store.compact();
    expect((await lines(dir)).map((r) => r.uid)).toEqual([1, 2, 3]);
    await store.writeMessage(Buffer.from('message 2, as the server has it'), { ...meta(2), flags: ['\\Flagged'] });
    expect(store.has('7', 2)).toBe(true);
    await store.compact();
    const after = await lines(dir);
    expect(after.map((r) => r.uid)).toEqual([1, 3, 2]);
    expect(after.find((r) => r.uid === 2)).toMatchObject({ size: 31, flags: ['\\Flagged'] });
    expect(readFileSync(join(dir, '2.eml'), 'utf8')).toBe('message 2, as the server has it');
  });
});
