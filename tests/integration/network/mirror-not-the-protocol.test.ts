/**
 * A mirror URL that points at a server speaking something else stops the job at once, as an
 * unreachable mirror does, with one error naming the URL; the books stay pending, none recorded
 * failed.
 * - http:// to vsftpd: its greeting "220 ..." is not an HTTP response. Every book used to fail one by
 *   one with CONNECTION_RESET (each a failed manifest line: 16 books took 10 s; a 75,000-book job
 *   would have recorded them all as failed).
 * - ftp:// to an HTTP server: it sends nothing until it gets a request, so no FTP greeting ever
 *   comes. Every book used to wait out the timeout and fail TIMEOUT one by one (at --timeout 5000:
 *   30 s; at the default 60 s, still running after 1 min 44 s).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { BOOKS, startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture();
}, 60_000);
afterAll(async () => {
  await fx?.cleanup();
});

/** Runs the job against `url` and checks it stopped as a whole: `code`, a message matching `says`, nothing recorded. */
async function expectStoppedJob(url: string, outName: string, input: { strategy: 'adaptive' | 'queue'; workers: number; timeoutMs?: number }, code: string, says: RegExp) {
  const outDir = join(fx.dir, outName);
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: url, selection: {}, outDir, ...input });
  const summary = await runGutenbergJob(spec, createJobControl());
  expect(summary.status).toBe('failed');
  expect(summary.itemsFailed).toBe(0);
  expect(summary.itemsDone).toBe(0);
  const job = summary.failures.find((f) => f.item === '(job)')?.error;
  expect(job?.code).toBe(code);
  expect(job?.message).toContain(url);
  expect(job?.message).toMatch(says);
  expect(job?.message).toMatch(/The job stopped/);
  expect(summary.failures.filter((f) => f.item !== '(job)')).toEqual([]);
  const manifest = join(outDir, 'manifest.jsonl');
  const lines = existsSync(manifest) ? readFileSync(manifest, 'utf8').split('\n').filter(Boolean) : [];
  expect(lines).toEqual([]);
  expect(summary.itemsTotal).toBe(BOOKS.length);
}

describe('a mirror that is not a server of its URL\'s protocol', () => {
  it.each(['adaptive', 'queue'] as const)('http:// to an FTP server, %s: the job stops with one error naming the URL; no book is recorded failed', async (strategy) => {
    await expectStoppedJob(`http://127.0.0.1:${new URL(fx.ftp.url).port}/`, `not-http-${strategy}`, { strategy, workers: 2 }, 'CONNECTION_RESET', /not valid HTTP/);
  });

  it.each(['adaptive', 'queue'] as const)('ftp:// to an HTTP server (silent), %s: the job stops with one error naming the URL; no book is recorded failed', async (strategy) => {
    await expectStoppedJob(`ftp://127.0.0.1:${new URL(fx.http.url).port}/`, `not-ftp-${strategy}`, { strategy, workers: 3, timeoutMs: 3_000 }, 'TIMEOUT', /no FTP greeting/);
  }, 120_000);
});
