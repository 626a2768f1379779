import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../shared/events';
import type { LabEvent } from '../../../shared/ipc';
import { GutenbergJobSpecSchema, type GutenbergJobSpec } from '../../../shared/job-spec';
import { LabRunner } from '../../../electron/engine/jobs/lab-runner';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-labcap-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the lab runs every cell under the job\'s caps', () => {
  it('passes the bandwidth cap and the wait between requests to each cell and to the warm-up', async () => {
    const seen: GutenbergJobSpec[] = [];
    const lab = new LabRunner(async (spec) => {
      seen.push(spec);
      return { status: 'succeeded', failures: [], wallMs: 10, itemsDone: 1, itemsFailed: 0, bytes: 100 } as unknown as JobSummary;
    }, (_e: LabEvent) => {});
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: '/c.csv', mirror: 'http://127.0.0.1:1/', outDir: dir, limitRate: 64 * 1024, waitMs: 1500 });
    await lab.start({ spec, strategies: ['serial', 'queue'], workerCounts: [1, 4], sampleSize: 2, repeats: 1, compareScrubExecutors: false }).done;
    // The unmeasured warm-up (the first cell's settings) first, then the cells: all under the caps.
    expect(seen.map((s) => [s.strategy, s.workers])).toEqual([['serial', 1], ['serial', 1], ['queue', 1], ['queue', 4]]);
    for (const s of seen) expect(s).toMatchObject({ limitRate: 64 * 1024, waitMs: 1500 });
  });
});
