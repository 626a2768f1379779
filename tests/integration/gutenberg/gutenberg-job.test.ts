import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema, type GutenbergJobInput } from '../../../shared/job-spec';
import type { JobEvent } from '../../../shared/events';
import type { Strategy } from '../../../shared/strategy';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import { readManifest as readManifestEntries } from '../../../electron/engine/gutenberg/manifest-store';
import { sha256 } from '../../harness';
import { BOOKS, MISSING, startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

async function run(input: Omit<GutenbergJobInput, 'kind' | 'catalog'>, events: JobEvent[] = []) {
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, attempts: 2, ...input });
  const control = createJobControl((e) => events.push(e));
  return runGutenbergJob(spec, control);
}

/** One entry per book, the last line of each winning (the manifest is append-only). */
async function readManifest(outDir: string): Promise<ManifestEntry[]> {
  return [...(await readManifestEntries(outDir)).values()];
}

async function manifestLines(outDir: string): Promise<number> {
  return (await readFile(join(outDir, 'manifest.jsonl'), 'utf8')).trim().split('\n').length;
}

const present = BOOKS.filter((b) => b.files.length > 0);

describe.each(['ftp', 'http'] as const)('gutenberg job over %s', (protocol) => {
  it.each(['serial', 'queue', 'split', 'adaptive'] as Strategy[])('downloads, cleans and records every book with %s', async (strategy) => {
    const outDir = join(fx.dir, `out-${protocol}-${strategy}`);
    const events: JobEvent[] = [];
    const mirror = protocol === 'ftp' ? fx.ftp.url : fx.http.url;
    const summary = await run({ mirror, workers: 3, strategy, outDir }, events);

    expect(summary.itemsTotal).toBe(BOOKS.length);
    expect(summary.itemsDone).toBe(present.length);
    expect(summary.itemsFailed).toBe(1);
    expect(summary.status).toBe('failed');
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0]!.error).toMatchObject({ code: 'BOOK_NOT_FOUND', context: { ebook: MISSING } });

    const manifest = await readManifest(outDir);
    expect(manifest.map((e) => e.ebook).sort((a, b) => a - b)).toEqual(BOOKS.map((b) => b.ebook).sort((a, b) => a - b));
    for (const book of present) {
      const entry = manifest.find((e) => e.ebook === book.ebook)!;
      const generated = fx.mirror.books.get(book.ebook)!;
      expect(entry.status, `ebook ${book.ebook}`).toBe('ok');
      // The preferred form was chosen: -0 before -8 before .txt before zips.
      expect(entry.remoteName).toBe(generated.files[0]!.relPath.split('/').pop());
      const raw = await readFile(join(outDir, entry.rawFile!));
      expect(sha256(raw)).toBe(generated.files[0]!.textSha256);
      expect(entry.rawSha256).toBe(sha256(raw));
      const clean = await readFile(join(outDir, entry.cleanFile!), 'utf8');
      expect(entry.cleanSha256).toBe(sha256(clean));
      expect(clean.startsWith((book.title ?? '').toUpperCase())).toBe(true);
      expect(clean).not.toMatch(/project gutenberg/i);
      expect(clean).not.toContain('\r');
      expect(entry.startMarker && entry.endMarker).toBe(true);
    }
    // Latin-1 bytes (in -8 and in a file named .txt) come out as UTF-8.
    const latin = await readFile(join(outDir, 'clean', '1003.txt'), 'utf8');
    expect(latin).toMatch(/café|naïve|façade|señor/);
    expect(manifest.find((e) => e.ebook === 1002)!.encoding).not.toBe('utf-8');

    const failed = manifest.find((e) => e.ebook === MISSING)!;
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'BOOK_NOT_FOUND' });

    // Telemetry: started, sampled frames, the failure, finished.
    expect(events[0]!.kind).toBe('job:started');
    expect(events.at(-1)!.kind).toBe('job:finished');
    expect(events.some((e) => e.kind === 'job:item-failed')).toBe(true);
    const last = [...events].reverse().find((e) => e.kind === 'job:frame');
    expect(last?.kind === 'job:frame' && last.frame.itemsDone).toBe(present.length);
    expect(last?.kind === 'job:frame' && last.frame.itemsCleaned).toBe(present.length);
    expect((await readdir(join(outDir, 'clean'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('re-running a job', () => {
  it('skips finished books, refetches a damaged one, and retries failures', async () => {
    const outDir = join(fx.dir, 'out-rerun');
    const first = await run({ mirror: fx.http.url, workers: 4, strategy: 'queue', outDir });
    expect(first.itemsDone).toBe(present.length);
    const requestsBefore = fx.http.requests.length;

    // Damage one clean file: it no longer matches its checksum.
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(outDir, 'clean', '2003.txt'), 'tampered');
    const second = await run({ mirror: fx.http.url, workers: 4, strategy: 'queue', outDir });
    expect(second.itemsSkipped).toBe(present.length - 1);
    expect(second.itemsDone).toBe(1);
    expect(second.itemsFailed).toBe(1);
    const fetched = fx.http.requests.slice(requestsBefore).map((r) => r.path);
    expect(fetched.some((p) => p.includes('2003'))).toBe(true);
    expect(fetched.some((p) => p.includes('2004'))).toBe(false);
    const manifest = await readManifest(outDir);
    expect(manifest).toHaveLength(BOOKS.length);
    // Append-only: the first run's lines are all still there, plus the re-fetched and the failed book.
    expect(await manifestLines(outDir)).toBe(BOOKS.length + 2);
    expect(await readFile(join(outDir, 'clean', '2003.txt'), 'utf8')).not.toBe('tampered');
  });
});
