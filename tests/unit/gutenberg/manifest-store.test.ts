import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import { MANIFEST_FILE, ManifestStore, readManifest } from '../../../electron/engine/gutenberg/manifest-store';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-manifest-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A manifest line; `ok` ones name their files, with mtimes unless `withMtimes` is false (an older manifest). */
const entry = (ebook: number, status: 'ok' | 'failed', withMtimes = true): ManifestEntry =>
  ({
    ebook, status,
    ...(status === 'ok'
      ? {
          rawFile: `raw/${ebook}-0.txt`, cleanFile: `clean/${ebook}.txt`, rawBytes: 10, cleanBytes: 8,
          rawSha256: 'a'.repeat(64), cleanSha256: 'b'.repeat(64), title: 'A title that is not kept in memory',
          ...(withMtimes ? { rawMtimeMs: 1000, cleanMtimeMs: 2000 } : {}),
        }
      : { rawFile: null, cleanFile: null, rawBytes: null, cleanBytes: null }),
  }) as unknown as ManifestEntry;

describe('ManifestStore', () => {
  it('creates manifest.jsonl with its first line: a store that recorded nothing leaves none (an unreachable mirror)', async () => {
    const empty = await ManifestStore.open(dir);
    await empty.close();
    expect(existsSync(join(dir, MANIFEST_FILE))).toBe(false);
    const store = await ManifestStore.open(dir);
    await Promise.all([store.append(entry(1, 'ok')), store.append(entry(2, 'failed'))]);
    await store.close();
    expect((await readFile(join(dir, MANIFEST_FILE), 'utf8')).trim().split('\n')).toHaveLength(2);
    // A run that landed a raw file but recorded no line (cancelled while cleaning it): created at close.
    await rm(join(dir, MANIFEST_FILE));
    await mkdir(join(dir, 'raw'));
    await writeFile(join(dir, 'raw', '1-0.txt'), 'text');
    await (await ManifestStore.open(dir)).close();
    expect(await readFile(join(dir, MANIFEST_FILE), 'utf8')).toBe('');
    // One that exists is opened (and kept) as before, even when empty.
    await writeFile(join(dir, MANIFEST_FILE), '');
    await (await ManifestStore.open(dir)).close();
    expect(existsSync(join(dir, MANIFEST_FILE))).toBe(true);
  });

  it('is append-only: a second store on the same folder never drops the first one’s lines', async () => {
    const a = await ManifestStore.open(dir);
    await a.append(entry(1, 'ok'));
    await a.append(entry(2, 'failed'));
    await a.close();
    const b = await ManifestStore.open(dir);
    expect(b.recordedCount).toBe(1); // 2 failed: not recorded as done
    expect(b.take(2)).toBeUndefined();
    await b.append(entry(2, 'ok'));
    await b.append(entry(3, 'ok'));
    await b.close();
    const lines = (await readFile(join(dir, MANIFEST_FILE), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(4);
    const latest = await readManifest(dir);
    expect([...latest.keys()].sort()).toEqual([1, 2, 3]);
    expect(latest.get(2)?.status).toBe('ok');
  });

  it('keeps nothing of the lines it appends and forgets a book once taken (memory flat in the job size)', async () => {
    const a = await ManifestStore.open(dir);
    for (let i = 1; i <= 50; i++) await a.append(entry(i, 'ok'));
    expect(a.recordedCount).toBe(0);
    await a.close();
    const b = await ManifestStore.open(dir);
    expect(b.recordedCount).toBe(50);
    expect(b.take(7)).toEqual({
      ebook: 7, rawFile: 'raw/7-0.txt', cleanFile: 'clean/7.txt', rawBytes: 10, cleanBytes: 8,
      rawMtimeMs: 1000, cleanMtimeMs: 2000, rawSha256: 'a'.repeat(64), cleanSha256: 'b'.repeat(64),
    });
    expect(b.take(7)).toBeUndefined();
    expect(b.recordedCount).toBe(49);
    await b.close();
  });

  it('the last line of a book wins; a line without mtimes (older manifest) keeps its sha256s for the hash check', async () => {
    const lines = [entry(1, 'ok'), entry(1, 'failed'), entry(2, 'failed'), entry(2, 'ok', false)];
    await writeFile(join(dir, MANIFEST_FILE), lines.map((l) => JSON.stringify(l) + '\n').join(''));
    const store = await ManifestStore.open(dir);
    expect(store.take(1)).toBeUndefined();
    expect(store.take(2)).toMatchObject({ rawMtimeMs: null, cleanMtimeMs: null, rawSha256: 'a'.repeat(64), cleanSha256: 'b'.repeat(64) });
    await store.close();
  });

  it('repairs a torn last line (a killed run) so the next line is whole', async () => {
    await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(entry(1, 'ok'))}\n{"ebook":2,"sta`);
    const store = await ManifestStore.open(dir);
    expect(store.recordedCount).toBe(1);
    await store.append(entry(3, 'ok'));
    await store.close();
    expect([...(await readManifest(dir)).keys()]).toEqual([1, 3]);
    expect((await readFile(join(dir, MANIFEST_FILE), 'utf8')).endsWith('"rawMtimeMs":1000,"cleanMtimeMs":2000}\n')).toBe(true);
  });
});
