import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../shared/events';
import type { GutenbergJobSpec } from '../../../shared/job-spec';
import type { JobControl } from '../../../electron/engine/core/job-control';
import { FanoutHost } from '../../../electron/engine/jobs/fanout-host';

describe('job:set-rate (a running job\'s bandwidth cap, live)', () => {
  let dir: string;
  let control: JobControl | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-rate-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** An engine that sets the cap from its spec, as the real one does, and runs until cancelled. */
  const runner = async (s: GutenbergJobSpec, c: JobControl): Promise<JobSummary> => {
    c.bandwidth!.setRate(s.limitRate ?? null);
    control = c;
    await new Promise((resolve) => c.signal.addEventListener('abort', resolve, { once: true }));
    return {
      jobId: 'x', kind: 'gutenberg', strategy: s.strategy, workers: s.workers, status: 'cancelled', itemsTotal: 0, itemsDone: 0, itemsFailed: 0,
      itemsSkipped: 0, bytes: 0, wallMs: 1, throughput: 0, workerBusy: [], failures: [], outDir: s.outDir, startedAt: new Date().toISOString(),
    };
  };

  it('validates the rate, reaches the running job\'s bucket, and refuses unknown jobs', async () => {
    const host = new FanoutHost({ host: 'web', version: 't', dataDir: dir, defaultOutDir: dir, runners: { gutenberg: runner },
      readCatalog: async function* () {
        yield { ebook: 1, type: 'Text', issued: null, title: 'Pride and Prejudice', languages: ['en'], authors: ['Austen, Jane'], subjects: ['Fiction'] };
      },
    });
    const catalog = join(dir, 'c.csv');
    await writeFile(catalog, 'author,FileNumber,Title\nAusten,1,Pride and Prejudice\n');
    const started = await host.handle('job:start', { spec: { kind: 'gutenberg', catalog, mirror: 'http://127.0.0.1:1/', outDir: join(dir, 'out'), limitRate: 1024 * 1024 } });
    expect(started.ok).toBe(true);
    const jobId = (started as { value: { jobId: string } }).value.jobId;
    await expect.poll(() => control?.bandwidth?.rate, { timeout: 5000 }).toBe(1024 * 1024);

    expect(await host.handle('job:set-rate', { jobId, bytesPerSecond: 1024 })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(await host.handle('job:set-rate', { jobId, bytesPerSecond: 2 * 1024 * 1024 })).toMatchObject({ ok: true });
    expect(control!.bandwidth!.rate).toBe(2 * 1024 * 1024);
    expect((await host.handle('job:set-rate', { jobId, bytesPerSecond: null })).ok).toBe(true);
    expect(control!.bandwidth!.rate).toBeNull();

    await host.handle('job:cancel', { jobId });
    await host.jobs.wait(jobId);
    expect(await host.handle('job:set-rate', { jobId, bytesPerSecond: null })).toMatchObject({ ok: false, error: { code: 'NO_SUCH_JOB' } });
  });
});
