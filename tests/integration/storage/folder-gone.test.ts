/**
 * The output folder (or its raw/) removed while a job runs: the job stops at the first write that
 * finds it gone, with one OUTPUT_NOT_WRITABLE naming what is gone, instead of downloading every
 * remaining book only to fail each with WRITE_FAILED ENOENT (wasted network work, one failure per
 * book for one cause). The re-run finishes byte-exact.
 */
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { delay } from '../../harness';
import { BOOKS, MISSING, startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';
import { expectAllBooksExact } from './storage-check';

let fx: GutenbergFixture;
let base: string;
beforeAll(async () => {
  fx = await startGutenbergFixture();
  base = await mkdtemp(join(tmpdir(), 'fanout-gone-'));
});
afterAll(async () => {
  await fx?.cleanup();
  await rm(base, { recursive: true, force: true });
});

/** One book at a time, in catalog order: the book after the stalled one is asked for only once it has ended. */
function run(outDir: string) {
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: fx.http.url, workers: 1, strategy: 'queue', attempts: 2, outDir });
  return runGutenbergJob(spec, createJobControl(() => {}));
}

const bookPath = (ebook: number) => `/${fx.mirror.books.get(ebook)!.files[0]!.relPath}`;

/** Bounded wait for the server to have seen a request (another side's progress, polled). */
async function requested(path: string, from: number): Promise<void> {
  for (const end = Date.now() + 60_000; Date.now() < end; await delay(20)) {
    if (fx.http.requests.slice(from).some((r) => r.path === path)) return;
  }
  throw new Error(`timed out waiting for a request of ${path}`);
}

describe('a folder removed under a running gutenberg job', () => {
  const STALLED = 2003;
  const after = () => BOOKS.filter((b) => b.ebook > STALLED).map((b) => bookPath(b.ebook));

  it.each([
    ['the output folder', (out: string) => out],
    ['its raw/ folder', (out: string) => join(out, 'raw')],
  ])('%s: the job stops naming it, fetches no further book; the re-run finishes byte-exact', async (_what, gone) => {
    const out = join(base, `out-${gone('x').replace(/\W/g, '')}`);
    const from = fx.http.requests.length;
    fx.http.hooks.stallBody(bookPath(STALLED), 1000);
    try {
      const job = run(out);
      await requested(bookPath(STALLED), from);
      expect((await readdir(join(out, 'raw'))).length).toBeGreaterThan(0);
      // Gone at once: moved aside (one rename), then removed. A recursive rm in place takes its files
      // one by one, and a book the scrubber read meanwhile found its raw file gone from a raw/ still
      // there, which is that book's own failure by the rule (a single file gone): 'WRITE_FAILED:
      // ENOENT ... open <out>/raw/1001-0.txt' beside the job's error, 1 run in 8 under load.
      const aside = join(base, `aside-${basename(out)}`);
      await rename(gone(out), aside);
      await rm(aside, { recursive: true, force: true });
      fx.http.hooks.releaseStalls();
      const summary = await job;
      expect(summary.status).toBe('failed');
      const jobError = summary.failures.find((f) => f.item === '(job)')?.error;
      expect(jobError?.code, JSON.stringify(summary.failures)).toBe('OUTPUT_NOT_WRITABLE');
      expect(jobError?.message).toContain(`${gone(out)} is gone`);
      // One cause, one failure: no book failed for it (the missing book failed before, for its own reason).
      expect(summary.failures.filter((f) => f.item !== '(job)').map((f) => f.error.code)).toEqual(['BOOK_NOT_FOUND']);
      expect(fx.http.requests.slice(from).filter((r) => after().includes(r.path)), 'books fetched after the folder was gone').toEqual([]);
    } finally {
      fx.http.hooks.clear();
    }
    const rerun = await run(out);
    expect(rerun.failures.map((f) => f.error.context.ebook)).toEqual([MISSING]);
    await expectAllBooksExact(out, fx.mirror, BOOKS);
  }, 180_000);
});
