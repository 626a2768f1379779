/**
 * A job whose end found history.json damaged says so (job:warning, before job:finished): the
 * history it set aside, and where (history-store.ts keeps the file, never overwrites it).
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobEvent, JobSummary } from '../../../shared/events';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { JobManager } from '../../../electron/engine/jobs/job-manager';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-notice-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a damaged history at a job\'s end', () => {
  it('is set aside, and the job\'s warnings say where', async () => {
    await writeFile(join(dir, 'history.json'), '[{"summary":');
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: '/c.csv', mirror: 'http://127.0.0.1:9/', outDir: join(dir, 'out') });
    const summary = (): JobSummary => ({
      jobId: 'x', kind: 'gutenberg', strategy: spec.strategy, workers: 1, status: 'succeeded', itemsTotal: 0, itemsDone: 0, itemsFailed: 0, itemsSkipped: 0,
      bytes: 0, wallMs: 1, throughput: 0, workerBusy: [], failures: [], outDir: spec.outDir, startedAt: new Date().toISOString(),
    });
    const jobs = new JobManager({ dataDir: dir, runners: { gutenberg: async () => summary() } });
    const events: JobEvent[] = [];
    jobs.on((e) => events.push(e));
    await jobs.start(spec).done;
    const kept = (await readdir(dir)).filter((f) => f.startsWith('history.json.damaged-'));
    expect(kept).toHaveLength(1);
    const kinds = events.map((e) => e.kind);
    const warning = events.find((e) => e.kind === 'job:warning');
    expect(warning).toMatchObject({ message: expect.stringContaining(`set aside as ${join(dir, kept[0]!)}`) });
    expect(kinds.indexOf('job:warning')).toBeLessThan(kinds.indexOf('job:finished'));
    expect((await jobs.listHistory()).length).toBe(1);
  });
});
