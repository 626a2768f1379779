import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawFolderScan } from '../../../electron/engine/gutenberg/raw-folder-scan';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-rawscan-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RawFolderScan', () => {
  it('knows each book by the names the mirror code gives its files (texts, zips, parts, metas), and nothing else', async () => {
    const names = ['11-0.txt', '12-8.txt', '13.txt', 'pg14.txt', '15-0.txt.part', '15-0.txt.part.meta', '16-0.zip.part', '16-0.zip.part.meta', 'pg17.txt.part', '.18-0.txt.0123456789abcdef.tmp', 'notes.txt', '19-0.txt.bak'];
    for (const n of names) await writeFile(join(dir, n), 'x');
    const scan = await RawFolderScan.read(dir);
    expect([...scan.partNames].sort()).toEqual(['15-0.txt.part', '16-0.zip.part', 'pg17.txt.part']);
    expect([11, 12, 13, 14, 15, 16, 17, 18, 19].filter((e) => scan.takeHasText(e))).toEqual([11, 12, 13, 14]);
    // Asked once: the entry is dropped (memory shrinks as the job goes).
    expect(scan.takeHasText(11)).toBe(false);
  });

  it('removes the partial files of a book found done, and forgets them (RawParts is handed the same set)', async () => {
    for (const n of ['15-0.txt', '15-0.txt.part', '15-0.txt.part.meta', '16-0.txt.part']) await writeFile(join(dir, n), 'x');
    const scan = await RawFolderScan.read(dir);
    expect((await scan.removePartsOf(15)).sort()).toEqual(['15-0.txt.part', '15-0.txt.part.meta']);
    expect(await scan.removePartsOf(15)).toEqual([]);
    expect([...scan.partNames]).toEqual(['16-0.txt.part']);
    expect((await readdir(dir)).sort()).toEqual(['15-0.txt', '16-0.txt.part']);
  });
});
