/**
 * Every job lab runs one small job, unmeasured, before its first cell (engine/lab/measure-cells.ts
 * `runWarmUp`), so the first cell does not pay the process's start-up. Jobs are counted through the
 * runner hook against the harness's HTTP mirror: the warm-up is the first job, one book, into its
 * own folder that is gone before the first cell starts; a cancel or a job-level failure during it
 * ends the lab before any cell.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabEvent } from '../../../shared/ipc';
import { GutenbergJobSpecSchema, type GutenbergJobSpec } from '../../../shared/job-spec';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { LabRunner } from '../../../electron/engine/jobs/lab-runner';
import { runQueueLab } from '../../../electron/engine/lab/queue-lab';
import type { JobRunner } from '../../../electron/engine/jobs/job-manager';
import { freePort } from '../../harness';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

interface JobSeen {
  outDir: string;
  limit: number | undefined;
  strategy: string;
  workers: number;
  itemsDone: number;
  /** Whether an earlier job's folder still existed when this one started. */
  earlierLeft: boolean;
}

/** Runs real jobs, recording each in order; `onStart` sees the job number (0: the first) before it runs. */
function recordingRunner(seen: JobSeen[], onStart: (n: number) => void = () => {}): JobRunner<GutenbergJobSpec> {
  return async (spec, control) => {
    const n = seen.length;
    const earlierLeft = seen.some((j) => existsSync(j.outDir));
    const job: JobSeen = { outDir: spec.outDir, limit: spec.selection.limit, strategy: spec.strategy, workers: spec.workers, itemsDone: 0, earlierLeft };
    seen.push(job);
    onStart(n);
    const summary = await runGutenbergJob(spec, control);
    job.itemsDone = summary.itemsDone;
    return summary;
  };
}

function specFor(outDir: string, mirror = fx.http.url): GutenbergJobSpec {
  return GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror, selection: { ids: [{ from: 2000, to: 2005 }] }, outDir, attempts: 1 });
}

describe('the job labs warm up before the first cell', () => {
  it('gutenberg lab: one unmeasured book first, in its own folder, removed before the first cell', async () => {
    const out = join(fx.dir, 'warm-ok');
    const seen: JobSeen[] = [];
    const events: LabEvent[] = [];
    const lab = new LabRunner(recordingRunner(seen), (e) => events.push(e));
    const points = await lab.start({ spec: specFor(out), strategies: ['serial', 'queue'], workerCounts: [2], sampleSize: 3, repeats: 1, compareScrubExecutors: false }).done;
    expect(points.map((p) => `${p.strategy}×${p.workers}:${p.itemsDone}`)).toEqual(['serial×1:3', 'queue×2:3']);
    // Three jobs: the warm-up (one book, the first cell's settings), then one per cell.
    expect(seen.map((j) => [basename(j.outDir), j.limit, j.strategy, j.workers, j.itemsDone])).toEqual([
      ['warm-up', 1, 'serial', 1, 1],
      ['serial-w1-threads-r0', 3, 'serial', 1, 3],
      ['queue-w2-threads-r0', 3, 'queue', 2, 3],
    ]);
    // The warm-up's book is nowhere: its folder was gone before the first cell, and nothing is left.
    expect(seen.map((j) => j.earlierLeft)).toEqual([false, false, false]);
    expect((await readdir(out)).filter((n) => n.startsWith('.fanout-lab-'))).toEqual([]);
    expect(events.at(-1)).toMatchObject({ kind: 'lab:finished', status: 'succeeded' });
  });

  it('a job-level failure in the warm-up ends the lab before any cell, naming it', async () => {
    const out = join(fx.dir, 'warm-down');
    const port = await freePort(); // nothing listens there
    const seen: JobSeen[] = [];
    const events: LabEvent[] = [];
    const lab = new LabRunner(recordingRunner(seen), (e) => events.push(e));
    const points = await lab.start({ spec: specFor(out, `http://127.0.0.1:${port}/`), strategies: ['serial', 'queue'], workerCounts: [2], sampleSize: 2, repeats: 1, compareScrubExecutors: false }).done;
    expect(points).toEqual([]);
    expect(seen.map((j) => basename(j.outDir))).toEqual(['warm-up']);
    const end = events.at(-1);
    expect(end).toMatchObject({ kind: 'lab:finished', status: 'failed', error: { code: 'CONNECTION_REFUSED' } });
    expect((await readdir(out)).filter((n) => n.startsWith('.fanout-lab-'))).toEqual([]);
  });

  it('cancelling the lab during the warm-up stops it: no cell runs', async () => {
    const out = join(fx.dir, 'warm-cancel');
    const seen: JobSeen[] = [];
    const events: LabEvent[] = [];
    let labId = '';
    const lab = new LabRunner(recordingRunner(seen, (n) => n === 0 && lab.cancel(labId)), (e) => events.push(e));
    const started = lab.start({ spec: specFor(out), strategies: ['serial'], workerCounts: [1], sampleSize: 2, repeats: 1, compareScrubExecutors: false });
    labId = started.labId;
    expect(await started.done).toEqual([]);
    expect(seen.map((j) => basename(j.outDir))).toEqual(['warm-up']);
    expect(events.at(-1)).toMatchObject({ kind: 'lab:finished', status: 'cancelled' });
    expect((await readdir(out)).filter((n) => n.startsWith('.fanout-lab-'))).toEqual([]);
  });

  it('queue lab: the first book is fetched once more than the others (the warm-up), once before any cell', async () => {
    const out = join(fx.dir, 'warm-queue');
    fx.http.requests.length = 0;
    const spec = { ...specFor(out), selection: { ids: [{ from: 2000, to: 2005 }], limit: 3 }, workers: 2, strategy: 'queue' as const };
    const points = await runQueueLab({ spec, bounds: [1, null], repeats: 1, signal: new AbortController().signal, onPoint: () => {} });
    expect(points.map((p) => p.itemsDone)).toEqual([3, 3]);
    const got = fx.http.requests.filter((r) => r.method === 'GET' && r.status < 300).map((r) => r.path);
    // 1 warm-up book + 3 books × 2 bounds, the warm-up's first.
    expect(got).toHaveLength(7);
    expect(got.filter((p) => p === got[0])).toHaveLength(3);
    expect(new Set(got.slice(1, 4))).toEqual(new Set(got.slice(4)));
    expect((await readdir(out)).filter((n) => n.startsWith('.fanout-lab-'))).toEqual([]);
  });
});
