import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeMeta, indexLines, tempDirEach } from './store-bed';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import { announcedSize } from '../../../electron/engine/mail/index-file';

/**
 * A body whose length is not its RFC822.SIZE waits for a NOOP + UID SEARCH (mail-worker.ts): held
 * in its temp file, durable and CLOSED (HE s18 F1: each held body kept its descriptor open, one per
 * message of the chunk on a server approximating every size), then committed (rename + index line
 * with the size the server announced, `serverSize`, HE s18 F5) or dropped.
 */
const meta = storeMeta;

const lines = indexLines;

function fdsUnder(dir: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

describe('FolderStore.holdMessage', () => {
  let dir = '';
  tempDirEach('fanout-held-', (d) => (dir = d));

  it('holds bodies durable and closed; commit renames and records the announced size; abort leaves nothing', async () => {
    const syncs: Array<{ linesOnDisk: number; files: Set<string> }> = [];
    const indexLines = () => (existsSync(join(dir, 'index.jsonl')) ? readFileSync(join(dir, 'index.jsonl'), 'utf8').split('\n').filter(Boolean).length : 0);
    const { syncDir } = await import('../../../electron/engine/output/atomic-file');
    const store = await FolderStore.open(dir, 'INBOX', {
      syncDir: async (d) => {
        syncs.push({ linesOnDisk: indexLines(), files: new Set(readdirSync(d)) });
        await syncDir(d);
      },
    });
    const body = (uid: number) => Buffer.from(`Subject: ${uid}\r\n\r\nbody ${uid}\r\n`);
    const held = await Promise.all(Array.from({ length: 40 }, (_, i) => store.holdMessage(i % 2 ? [body(i + 1).subarray(0, 5), body(i + 1).subarray(5)] : body(i + 1), meta(i + 1))));
    // 40 bodies waiting: not one descriptor open in the folder, none under its final name, none recorded.
    if (existsSync('/proc/self/fd')) expect(fdsUnder(dir)).toBe(0);
    expect(readdirSync(dir).filter((n) => n.endsWith('.eml'))).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp')).length).toBe(40);
    expect(store.has('7', 1)).toBe(false);
    // Odd UIDs: the server announced 3 more bytes (kept); even UIDs: gone (dropped), but UID 2 announced its own length.
    const recs = await Promise.all(held.map((h, i) => (i % 2 === 0 ? h.commit(h.bytes + 3) : h.abort().then(() => null))));
    await store.close();
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const onDisk = await lines(dir);
    expect(onDisk.map((r) => r.uid).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i + 1));
    for (const r of onDisk) {
      const bytes = body(r.uid);
      expect(readFileSync(join(dir, r.file)).equals(bytes)).toBe(true);
      expect(r.size).toBe(bytes.length);
      expect(r.serverSize).toBe(bytes.length + 3);
      expect(announcedSize(r)).toBe(bytes.length + 3);
      expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    expect(recs.filter(Boolean).length).toBe(20);
    // Durability: each line's file was in its folder at a folder fsync made before that line was written.
    onDisk.forEach((r, i) => {
      expect(syncs.some((s) => s.linesOnDisk <= i && s.files.has(r.file)), `line ${i} (${r.file})`).toBe(true);
    });
  });

  it('no serverSize when the server announced the body\'s length; an old line without it reads as before', async () => {
    const store = await FolderStore.open(dir, 'INBOX');
    const h = await store.holdMessage(Buffer.from('abc'), meta(1));
    const rec = await h.commit(3);
    expect('serverSize' in rec).toBe(false);
    const w = await store.openMessage(meta(2));
    await w.write(Buffer.from('abcd'));
    expect((await w.commit(9)).serverSize).toBe(9);
    await store.close();
    const old = { uid: 3, uidValidity: '7', messageId: null, internalDate: '2020-02-03T00:00:00.000Z', flags: [], size: 5, sha256: 'x', subject: null, from: null, file: '3.eml' };
    writeFileSync(join(dir, 'index.jsonl'), `${JSON.stringify(old)}\n`, { flag: 'a' });
    const got = await lines(dir);
    expect(got.map((r) => [r.uid, announcedSize(r)])).toEqual([[1, 3], [2, 9], [3, 5]]);
  });

  it('a message archived at another size than announced is found by its announced size in a newer generation (linked, not fetched again)', async () => {
    const store = await FolderStore.open(dir, 'INBOX');
    const h = await store.holdMessage(Buffer.from('abc'), meta(1, '7'));
    await h.commit(6);
    store.generation('8');
    await store.loadIdentities('8');
    const when = new Date(Date.UTC(2020, 1, 3));
    // planning asks with the server's RFC822.SIZE
    expect(store.findSame('<m1@x>', 6, when)?.uid).toBe(1);
    const linked = await store.link(store.findSame('<m1@x>', 6, when)!, '8', 40, []);
    expect([linked.size, linked.serverSize]).toEqual([3, 6]);
    store.releaseIdentities();
    await store.close();
  });

  it('restamp: FLAGS and INTERNALDATE that came after the body are the line\'s and the file\'s mtime (HE s18 F8)', async () => {
    const store = await FolderStore.open(dir, 'INBOX');
    const h = await store.holdMessage(Buffer.from('Subject: late\r\n\r\nx'), { ...meta(9), flags: [], internalDate: new Date(0) });
    const when = new Date(Date.UTC(2021, 5, 7, 8, 9, 10));
    await h.restamp(['\\Seen', '\\Recent', '\\Flagged'], when);
    const rec = await h.commit();
    await store.close();
    expect(rec.flags).toEqual(['\\Flagged', '\\Seen']);
    expect(rec.internalDate).toBe(when.toISOString());
    expect(rec.messageId).toBe('<m9@x>');
    expect(Math.round(statSync(join(dir, rec.file)).mtimeMs)).toBe(when.getTime());
  });

  it('sameAs (a renamed folder proven the same) compares the announced size, after a re-open too', async () => {
    const when = new Date(Date.UTC(2020, 1, 3));
    const store = await FolderStore.open(dir, 'INBOX');
    await (await store.holdMessage(Buffer.from('abc'), meta(1))).commit(6);
    await store.writeMessage(Buffer.from('abcd'), meta(2));
    expect([store.sameAs('7', 1, 6, when), store.sameAs('7', 1, 3, when), store.sameAs('7', 2, 4, when)]).toEqual([true, false, true]);
    await store.close();
    const reopened = await FolderStore.open(dir, 'INBOX');
    expect([reopened.sameAs('7', 1, 6, when), reopened.sameAs('7', 1, 3, when), reopened.sameAs('7', 2, 4, when)]).toEqual([true, false, true]);
    // The files' own lengths still decide whether they are whole.
    expect(await reopened.checkFiles('7')).toEqual([]);
    await reopened.close();
  });
});
