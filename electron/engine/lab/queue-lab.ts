/**
 * The queue lab: the same Gutenberg sample run with each bound between the download and clean
 * stages (spec.scrubQueue), each run into a fresh folder. Per bound: wall time, books done, the time
 * downloaders waited for room (from the job's own ScrubStage), the most books queued, and the
 * process's peak resident memory while it ran (sampled every 20 ms: the lab runs the job in-process).
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobSummary } from '../../../shared/events';
import type { GutenbergJobSpec } from '../../../shared/job-spec';
import type { QueuePoint } from '../../../shared/lab/queue-analysis';
import type { JobControl } from '../core/job-control';
import { runGutenbergJob } from '../gutenberg/run-gutenberg-job';
import type { OutputLock } from '../output/output-lock';
import { prepareOutputFolder } from '../output/prepare-folder';
import { measureCells, refuseCellsPastOpenFiles, runWarmUp } from './measure-cells';
import { median } from '../../../shared/median';

export interface QueueLabRequest {
  /** The job of every cell; its scrubQueue and outDir are the lab's. */
  spec: GutenbergJobSpec;
  /** null: unbounded. */
  bounds: ReadonlyArray<number | null>;
  repeats: number;
  signal: AbortSignal;
  onPoint: (p: QueuePoint, done: number, cells: number) => void;
}

/** Runs the job while sampling the process's RSS; the largest sample, with the summary. */
async function runSampled(spec: GutenbergJobSpec, control: JobControl): Promise<{ summary: JobSummary; peakRss: number }> {
  let peakRss = process.memoryUsage.rss();
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
  try {
    const summary = await runGutenbergJob(spec, control);
    return { summary, peakRss: Math.max(peakRss, process.memoryUsage.rss()) };
  } finally {
    clearInterval(timer);
  }
}

export async function runQueueLab(req: QueueLabRequest): Promise<QueuePoint[]> {
  const bounds = [...new Set(req.bounds)].sort((a, b) => (a ?? Infinity) - (b ?? Infinity));
  // Its cells are the job's workers: refused before anything runs when they do not fit the open-files limit.
  const openFiles = { cap: req.spec.maxPerHost };
  refuseCellsPastOpenFiles([req.spec], openFiles);
  const base = join(req.spec.outDir, `.fanout-lab-${randomUUID().slice(0, 8)}`);
  const points: QueuePoint[] = [];
  let lock: OutputLock | null = null;
  try {
    lock = await prepareOutputFolder(req.spec.outDir, 'lab', [], { keep: true });
    // One book, unmeasured, so the first bound does not pay the process's start-up.
    const warmUpDir = join(base, 'warm-up');
    await runWarmUp(runGutenbergJob, { ...req.spec, selection: { ...req.spec.selection, limit: 1 }, outDir: warmUpDir }, warmUpDir, req.signal);
    for (const bound of bounds) {
      const runs: Array<{ blockedMs: number; peakInFlight: number; peakRss: number }> = [];
      await measureCells({
        cells: [{ strategy: req.spec.strategy, workers: req.spec.workers, scrubExecutor: req.spec.scrubExecutor }],
        openFiles,
        repeats: req.repeats,
        base: join(base, bound === null ? 'unbounded' : `b${bound}`),
        signal: req.signal,
        specFor: (_cell, outDir): GutenbergJobSpec => ({ ...req.spec, scrubQueue: bound ?? 'unbounded', outDir }),
        run: async (spec, control) => {
          const { summary, peakRss } = await runSampled(spec, control);
          const stage = summary.scrubStage ?? { blockedMs: 0, peakInFlight: 0 };
          runs.push({ blockedMs: stage.blockedMs, peakInFlight: stage.peakInFlight, peakRss });
          return summary;
        },
        onPoint: (p) => {
          const point: QueuePoint = {
            bound, wallMs: p.wallMs, medianMs: p.medianMs, itemsDone: p.itemsDone, itemsFailed: p.itemsFailed, bytes: p.bytes,
            blockedMs: median(runs.map((r) => r.blockedMs)),
            peakInFlight: Math.max(...runs.map((r) => r.peakInFlight)),
            peakRssBytes: Math.max(...runs.map((r) => r.peakRss)),
          };
          points.push(point);
          req.onPoint(point, points.length, bounds.length);
        },
      });
    }
    return points;
  } finally {
    await rm(base, { recursive: true, force: true }).catch(() => {});
    await lock?.release();
  }
}
