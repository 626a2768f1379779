import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeMeta, indexLines, tempDirEach } from './store-bed';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import type { IndexRecord } from '../../../electron/engine/mail/index-file';

const meta = storeMeta;

const rec = (uid: number, flags: string[] = []): IndexRecord => ({
  uid, uidValidity: '7', messageId: `<m${uid}@x>`, internalDate: '2020-02-03T00:00:00.000Z', flags, size: 3, sha256: 'x', subject: null, from: null, file: `${uid}.eml`,
});

const lines = indexLines;

describe('FolderStore (index streamed, UIDs only in memory)', () => {
  let dir = '';
  tempDirEach('fanout-store-', (d) => (dir = d));

  it('reads an index with a duplicate, a damaged line and a torn tail; compact keeps one line per message with the latest flags', async () => {
    const l = (r: IndexRecord) => JSON.stringify(r);
    writeFileSync(join(dir, 'index.jsonl'), `${l(rec(1))}\nnot json\n${l(rec(2, ['\\Seen']))}\n${l(rec(1))}\n{"uid": 3, "uidVal`);
    const store = await FolderStore.open(dir, 'INBOX');
    expect(store.has('7', 1)).toBe(true);
    expect(store.has('7', 2)).toBe(true);
    expect(store.has('7', 3)).toBe(false);
    expect(store.countIn('7')).toBe(2);
    expect(store.hasOtherGenerations('7')).toBe(false);
    // The torn tail is cut, so the next append starts a line of its own.
    await store.writeMessage(Buffer.from('abc'), meta(4));
    store.updateFlags('7', 2, ['\\Seen', '\\Flagged']);
    store.updateFlags('7', 1, []);
    store.updateFlags('7', 99, ['\\Seen']);
    expect(await store.compact()).toBe(1);
    const after = await lines(dir);
    expect(after.map((r) => r.uid)).toEqual([1, 2, 4]);
    expect(after.find((r) => r.uid === 2)!.flags).toEqual(['\\Flagged', '\\Seen']);
    expect(readFileSync(join(dir, 'index.jsonl'), 'utf8').split('\n').filter(Boolean).length).toBe(3);
    expect(await store.compact()).toBe(0);
  });

  it('writes a message in pieces: hashed as a stream, renamed only on commit, nothing left on abort', async () => {
    const store = await FolderStore.open(dir, 'INBOX');
    const w = await store.openMessage(meta(5));
    await w.write(Buffer.from('Subject: x\r\n\r\n'));
    await w.write(Buffer.from('body'));
    expect(existsSync(join(dir, '5.eml'))).toBe(false);
    const r = await w.commit();
    const bytes = Buffer.from('Subject: x\r\n\r\nbody');
    expect(readFileSync(join(dir, '5.eml')).equals(bytes)).toBe(true);
    expect(r.size).toBe(bytes.length);
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(store.has('7', 5)).toBe(true);

    const a = await store.openMessage(meta(6));
    await a.write(Buffer.from('half'));
    await a.abort();
    expect(readdirSync(dir).filter((n) => n.startsWith('6.'))).toEqual([]);
    expect(store.has('7', 6)).toBe(false);
    expect((await lines(dir)).map((x) => x.uid)).toEqual([5]);
  });

  it('links across generations only after loading identities', async () => {
    const store = await FolderStore.open(dir, 'INBOX');
    await store.writeMessage(Buffer.from('abc'), meta(1, '7'));
    store.generation('8');
    expect(store.hasOtherGenerations('8')).toBe(true);
    const when = new Date(Date.UTC(2020, 1, 3));
    expect(store.findSame('<m1@x>', 3, when)).toBeUndefined();
    await store.loadIdentities('8');
    const same = store.findSame('<m1@x>', 3, when)!;
    expect(same.uid).toBe(1);
    await store.link(same, '8', 40, ['\\Seen']);
    store.releaseIdentities();
    expect(store.has('8', 40)).toBe(true);
    const reopened = await FolderStore.open(dir, 'INBOX');
    expect(reopened.countIn('8')).toBe(1);
    expect(reopened.state.generations.map((g) => g.uidValidity)).toEqual(['7', '8']);
  });

  it('a message file is never named by an index line before a fsync of its folder that saw it (files skip their own folder fsync; the index does one per group)', async () => {
    const syncs: Array<{ dir: string; linesOnDisk: number; files: Set<string> }> = [];
    const indexLines = () => (existsSync(join(dir, 'index.jsonl')) ? readFileSync(join(dir, 'index.jsonl'), 'utf8').split('\n').filter(Boolean).length : 0);
    const { syncDir } = await import('../../../electron/engine/output/atomic-file');
    const store = await FolderStore.open(dir, 'INBOX', {
      syncDir: async (d) => {
        // What a power loss right after this fsync would keep: the entries now in the folder.
        syncs.push({ dir: d, linesOnDisk: indexLines(), files: new Set(readdirSync(d)) });
        await syncDir(d);
      },
    });
    const writes = Array.from({ length: 30 }, (_, i) => store.writeMessage(Buffer.from(`message ${i}`), meta(i + 1)));
    const big = await store.openMessage(meta(100));
    await big.write(Buffer.from('part one, '));
    await big.write(Buffer.from('part two'));
    await Promise.all([...writes, big.commit()]);
    await store.close();
    const recs = await lines(dir);
    expect(recs.map((r) => r.uid).sort((a, b) => a - b)).toEqual([...Array.from({ length: 30 }, (_, i) => i + 1), 100]);
    recs.forEach((r, i) => {
      // Some fsync of the file's folder happened while the file was there and before line i was written.
      const covered = syncs.some((s) => s.dir === dir && s.linesOnDisk <= i && s.files.has(r.file));
      expect(covered, `line ${i} (${r.file})`).toBe(true);
    });
  });

  it('deferIndex: the state is read at once, the index only by loadIndex (using UIDs before is an INTERNAL error, not an empty folder)', async () => {
    writeFileSync(join(dir, 'index.jsonl'), `${JSON.stringify(rec(1))}\n${JSON.stringify(rec(2))}\n`);
    const store = await FolderStore.open(dir, 'INBOX', { deferIndex: true });
    expect(() => store.has('7', 1)).toThrow(/used before it was read/);
    expect(() => store.countIn('7')).toThrow(/used before it was read/);
    await store.loadIndex();
    await store.loadIndex();
    expect(store.countIn('7')).toBe(2);
    expect(store.has('7', 2)).toBe(true);
    await store.close();
  });
});
