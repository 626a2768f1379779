/**
 * verify:run of a run whose folder a job of another process is writing (`fanout gutenberg` from a
 * terminal, a second host): the host's BUSY check knows only its own jobs. The verify holds the
 * folder's output lock as `fanout verify` does (verify/verify-folder.ts): refused, OUTPUT_LOCKED
 * naming that job, instead of reporting its half-written files as damage.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../shared/events';
import type { GutenbergJobSpec } from '../../../shared/job-spec';
import { FanoutHost } from '../../../electron/engine/jobs/fanout-host';
import { acquireOutputLock } from '../../../electron/engine/output/output-lock';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-host-verify-'));
  await writeFile(join(dir, 'c.csv'), 'author,FileNumber,Title\nAusten,1,Pride and Prejudice\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('verify:run and a job of another process', () => {
  it('is refused while that job holds the folder, and runs once it has ended', async () => {
    const done = async (s: GutenbergJobSpec): Promise<JobSummary> => {
      await mkdir(s.outDir, { recursive: true });
      await writeFile(join(s.outDir, 'manifest.jsonl'), '');
      return {
        jobId: 'x', kind: 'gutenberg', strategy: s.strategy, workers: s.workers, status: 'succeeded', itemsTotal: 0, itemsDone: 0, itemsFailed: 0, itemsSkipped: 0,
        bytes: 0, wallMs: 1, throughput: 0, workerBusy: [], failures: [], outDir: s.outDir, startedAt: new Date().toISOString(),
      };
    };
    const host = new FanoutHost({ host: 'web', version: 't', dataDir: join(dir, 'data'), defaultOutDir: dir, runners: { gutenberg: done }, readCatalog: async function* () {} });
    try {
      const outDir = join(dir, 'out');
      const started = (await host.handle('job:start', { spec: { kind: 'gutenberg', catalog: join(dir, 'c.csv'), mirror: 'http://127.0.0.1:1/', outDir } })) as { ok: true; value: { jobId: string } };
      await host.jobs.wait(started.value.jobId);
      const other = await acquireOutputLock(outDir, 'gutenberg');
      try {
        expect(await host.handle('verify:run', { jobId: started.value.jobId })).toMatchObject({ ok: false, error: { code: 'OUTPUT_LOCKED', message: expect.stringContaining(`is in use by a gutenberg job, process ${process.pid}`) } });
      } finally {
        await other.release();
      }
      expect(await host.handle('verify:run', { jobId: started.value.jobId })).toMatchObject({ ok: true });
    } finally {
      await host.shutdown();
    }
  });
});
