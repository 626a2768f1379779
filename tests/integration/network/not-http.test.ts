/**
 * An http:// mirror URL that points at a server speaking something else (here vsftpd: its
 * greeting "220 ..." is not an HTTP response) stops the job at once, as an unreachable mirror does,
 * instead of failing every book one by one with CONNECTION_RESET (each a failed manifest line: 16
 * books took 10 s; a 75,000-book job would have recorded them all as failed). The books stay pending.
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

describe('an http:// mirror that is not an HTTP server', () => {
  it.each(['adaptive', 'queue'] as const)('%s: the job stops with one error naming the URL; no book is recorded failed', async (strategy) => {
    const url = `http://127.0.0.1:${new URL(fx.ftp.url).port}/`;
    const outDir = join(fx.dir, `not-http-${strategy}`);
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: url, selection: {}, workers: 2, strategy, outDir });
    const summary = await runGutenbergJob(spec, createJobControl());
    expect(summary.status).toBe('failed');
    expect(summary.itemsFailed).toBe(0);
    const job = summary.failures.find((f) => f.item === '(job)')?.error;
    expect(job?.code).toBe('CONNECTION_RESET');
    expect(job?.message).toContain(url);
    expect(job?.message).toMatch(/not valid HTTP/);
    expect(job?.message).toMatch(/The job stopped/);
    expect(summary.failures.filter((f) => f.item !== '(job)')).toEqual([]);
    const manifest = join(outDir, 'manifest.jsonl');
    const lines = existsSync(manifest) ? readFileSync(manifest, 'utf8').split('\n').filter(Boolean) : [];
    expect(lines).toEqual([]);
    expect(summary.itemsTotal).toBe(BOOKS.length);
  });
});
