/**
 * An ftp:// mirror URL that points at a server speaking something else. An HTTP server sends
 * nothing until it gets a request, so no FTP greeting ever comes: every book used to wait out the
 * timeout and fail TIMEOUT one by one (at --timeout 5000: 30 s, each a failed manifest line; at the
 * default 60 s, still running after 1 min 44 s). Now no greeting on the job's first connection,
 * while no book is done, stops the job as an unreachable mirror does: one error naming the URL,
 * no book recorded failed (they stay pending).
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

describe('an ftp:// mirror that is not an FTP server', () => {
  it.each(['adaptive', 'queue'] as const)('%s, an HTTP server (silent): the job stops with one error naming the URL; no book is recorded failed', async (strategy) => {
    const url = `ftp://127.0.0.1:${new URL(fx.http.url).port}/`;
    const outDir = join(fx.dir, `not-ftp-${strategy}`);
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: url, selection: {}, workers: 3, strategy, outDir, timeoutMs: 3_000 });
    const summary = await runGutenbergJob(spec, createJobControl());
    expect(summary.status).toBe('failed');
    expect(summary.itemsFailed).toBe(0);
    expect(summary.itemsDone).toBe(0);
    const job = summary.failures.find((f) => f.item === '(job)')?.error;
    expect(job?.code).toBe('TIMEOUT');
    expect(job?.message).toContain(url);
    expect(job?.message).toMatch(/no FTP greeting/);
    expect(job?.message).toMatch(/The job stopped/);
    expect(summary.failures.filter((f) => f.item !== '(job)')).toEqual([]);
    const manifest = join(outDir, 'manifest.jsonl');
    const lines = existsSync(manifest) ? readFileSync(manifest, 'utf8').split('\n').filter(Boolean) : [];
    expect(lines).toEqual([]);
    expect(summary.itemsTotal).toBe(BOOKS.length);
  }, 120_000);
});
