import { appendFile, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { MANIFEST_FILE, readManifest } from '../../../electron/engine/gutenberg/manifest-store';
import type { MirrorBookSpec } from '../../harness';
import { startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

/** Small books, one file each: what is looked at is the re-run's check, not the download. */
const BOOKS: MirrorBookSpec[] = Array.from({ length: 6 }, (_, i) => ({ ebook: 3000 + i, files: ['-0.txt'], title: `Quick ${i}`, sizeBytes: 4_000 + i * 500 }));

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture(BOOKS);
});
afterAll(async () => {
  await fx?.cleanup();
});

function run(outDir: string) {
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: fx.http.url, workers: 2, strategy: 'queue', outDir, attempts: 2 });
  return runGutenbergJob(spec, createJobControl());
}

/** Ebooks the server was asked for since request number `from`. */
function fetchedSince(from: number): number[] {
  const ebooks = fx.http.requests.slice(from).map((r) => /\/(\d+)-0\.txt$/.exec(r.path)?.[1]).filter((e): e is string => e !== undefined);
  return [...new Set(ebooks.map(Number))].sort((a, b) => a - b);
}

/** Overwrites a file with other bytes of the same length and puts its recorded mtime back. */
async function editKeepingSizeAndMtime(path: string, mtimeMs: number): Promise<void> {
  const bytes = await readFile(path);
  await writeFile(path, Buffer.alloc(bytes.length, 0x78));
  await utimes(path, new Date(), mtimeMs / 1000);
}

describe('re-run over a complete output: the quick check (size and mtime from the manifest)', () => {
  it('reads no file contents: same size and mtime is skipped even with other bytes; a changed size is fetched again, a changed mtime alone hashed', async () => {
    const outDir = join(fx.dir, 'out-quick');
    expect((await run(outDir)).itemsDone).toBe(BOOKS.length);
    const manifest = await readManifest(outDir);
    for (const e of manifest.values()) {
      // Recorded as the files are on disk.
      expect(e.rawMtimeMs).toBe(Math.round((await stat(join(outDir, e.rawFile!))).mtimeMs));
      expect(e.cleanMtimeMs).toBe(Math.round((await stat(join(outDir, e.cleanFile!))).mtimeMs));
    }
    const entry = (ebook: number) => manifest.get(ebook)!;

    // Other bytes, same size and mtime: not noticed by the quick check (that is `fanout verify`'s job).
    await editKeepingSizeAndMtime(join(outDir, entry(3000).rawFile!), entry(3000).rawMtimeMs!);
    await editKeepingSizeAndMtime(join(outDir, entry(3001).cleanFile!), entry(3001).cleanMtimeMs!);
    let before = fx.http.requests.length;
    const untouched = await run(outDir);
    expect(untouched).toMatchObject({ itemsSkipped: BOOKS.length, itemsDone: 0, itemsFailed: 0 });
    expect(fetchedSince(before)).toEqual([]);

    // A raw file one byte longer (mtime put back): fetched again. A clean file touched (same bytes): only
    // its mtime differs, so it is hashed against the recorded sha256, kept, and its recorded mtime put back.
    await appendFile(join(outDir, entry(3002).rawFile!), 'x');
    await utimes(join(outDir, entry(3002).rawFile!), new Date(), entry(3002).rawMtimeMs! / 1000);
    await utimes(join(outDir, entry(3003).cleanFile!), new Date(), (entry(3003).cleanMtimeMs! + 5_000) / 1000);
    before = fx.http.requests.length;
    const changed = await run(outDir);
    expect(changed).toMatchObject({ itemsSkipped: BOOKS.length - 1, itemsDone: 1, itemsFailed: 0 });
    expect(fetchedSince(before)).toEqual([3002]);
    expect(Math.round((await stat(join(outDir, entry(3003).cleanFile!))).mtimeMs)).toBe(entry(3003).cleanMtimeMs);
    // Append-only: the re-fetched book got a line, nothing was rewritten.
    expect((await readFile(join(outDir, MANIFEST_FILE), 'utf8')).trim().split('\n')).toHaveLength(BOOKS.length + 1);
  });

  it('a manifest written before mtimes were recorded is checked by hash (other bytes of the same size are fetched again)', async () => {
    const outDir = join(fx.dir, 'out-old-manifest');
    expect((await run(outDir)).itemsDone).toBe(BOOKS.length);
    const path = join(outDir, MANIFEST_FILE);
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((l) => {
      const { rawMtimeMs: _r, cleanMtimeMs: _c, ...old } = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(old);
    });
    await writeFile(path, lines.join('\n') + '\n');
    const e = (await readManifest(outDir)).get(3004)!;
    await editKeepingSizeAndMtime(join(outDir, e.rawFile!), (await stat(join(outDir, e.rawFile!))).mtimeMs);
    const before = fx.http.requests.length;
    expect(await run(outDir)).toMatchObject({ itemsSkipped: BOOKS.length - 1, itemsDone: 1 });
    expect(fetchedSince(before)).toEqual([3004]);
  });
});
