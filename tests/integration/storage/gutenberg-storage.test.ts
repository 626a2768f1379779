/**
 * Gutenberg on real small file systems (tmpfs mounted as root): a disk that fills up mid-run or is
 * full from the start, and a read-only folder. Each ends with nothing marked done that is not
 * whole on disk, and the re-run after space is freed finishes byte-exact.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema, type GutenbergJobInput } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { mountTmpfs, skipWithoutTmpfs } from '../../harness/tmpfs';
import { BOOKS, MISSING, startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';
import { expectAllBooksExact, expectNothingFalselyDone } from './storage-check';

const skip = await skipWithoutTmpfs();
let fx: GutenbergFixture;
beforeAll(async () => {
  if (!skip) fx = await startGutenbergFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

function run(outDir: string, input: Partial<GutenbergJobInput> = {}) {
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: fx.http.url, workers: 2, strategy: 'queue', attempts: 2, outDir, ...input });
  return runGutenbergJob(spec, createJobControl(() => {}));
}

const jobError = (summary: Awaited<ReturnType<typeof run>>) => summary.failures.find((f) => f.item === '(job)')?.error;

describe.skipIf(skip)('gutenberg on a small real file system', () => {
  it.each(['http', 'ftp'] as const)('a disk that fills up mid-run (%s) stops the job with DISK_FULL; the re-run after freeing space finishes byte-exact', async (protocol) => {
    const fs = await mountTmpfs(400 * 1024);
    const mirror = protocol === 'ftp' ? fx.ftp.url : fx.http.url;
    try {
      const outDir = join(fs.dir, 'out');
      const first = await run(outDir, { mirror });
      expect(first.status).toBe('failed');
      const err = jobError(first);
      expect(err?.code).toBe('DISK_FULL');
      expect(err?.context.folder).toBe(outDir);
      expect(err?.message).toContain(outDir);
      expect(err?.message).toMatch(/\d+ book\(s\) left: the rest needs about [\d.]+ [KM]B/);
      const okFirst = await expectNothingFalselyDone(outDir);
      expect(okFirst).toBeGreaterThan(0);
      expect(okFirst).toBeLessThan(BOOKS.length - 1);

      await fs.resize(32 * 1024 * 1024);
      const second = await run(outDir, { mirror });
      expect(second.failures.map((f) => f.error.code)).toEqual(['BOOK_NOT_FOUND']);
      expect(second.failures[0]!.error.context.ebook).toBe(MISSING);
      expect(second.itemsSkipped).toBe(okFirst);
      await expectAllBooksExact(outDir, fx.mirror, BOOKS);
    } finally {
      await fs.unmount();
    }
  });

  it('a disk full from the start is found before any download', async () => {
    const fs = await mountTmpfs(64 * 1024);
    try {
      await writeFile(join(fs.dir, 'filler'), Buffer.alloc(1024 * 1024)).catch((e: NodeJS.ErrnoException) => expect(e.code).toBe('ENOSPC'));
      const before = fx.http.requests.length;
      const summary = await run(fs.dir);
      expect(jobError(summary)?.code).toBe('DISK_FULL');
      expect(summary.itemsDone + summary.itemsFailed).toBe(0);
      expect(fx.http.requests.length).toBe(before);
    } finally {
      await fs.unmount();
    }
  });

  it('a read-only folder is found before any download, with a clear message', async () => {
    const fs = await mountTmpfs(1024 * 1024);
    try {
      await fs.readOnly(true);
      const before = fx.http.requests.length;
      for (const outDir of [fs.dir, join(fs.dir, 'new-sub')]) {
        const summary = await run(outDir);
        const err = jobError(summary);
        expect(err?.code, outDir).toBe('OUTPUT_NOT_WRITABLE');
        expect(err?.message).toMatch(/read-only file system/);
        expect(err?.context.folder).toBe(outDir);
      }
      expect(fx.http.requests.length).toBe(before);
    } finally {
      await fs.unmount();
    }
  });
});
