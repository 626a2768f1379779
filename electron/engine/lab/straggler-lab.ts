/**
 * The stragglers lab (issue 11, experiment 4): the same Gutenberg sample run once per per-item
 * timeout (none, t1, t2, …; spec.itemTimeoutMs), each run into a fresh folder. A timeout cuts an
 * attempt at a book that is not done in time and the pool re-issues the book on a new connection
 * (core/item-deadline.ts); the job reports each book's time from its first attempt to landing
 * (JobControl.onItemTimed), which is what the latency percentiles are made of.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { GutenbergJobSpec } from '../../../shared/job-spec';
import type { StragglerPoint } from '../../../shared/lab/straggler-analysis';
import { runGutenbergJob } from '../gutenberg/run-gutenberg-job';
import type { OutputLock } from '../output/output-lock';
import { prepareOutputFolder } from '../output/prepare-folder';
import { measureCells, refuseCellsPastOpenFiles, runWarmUp } from './measure-cells';

export interface StragglerLabRequest {
  /** The job of every cell; its itemTimeoutMs and outDir are the lab's. */
  spec: GutenbergJobSpec;
  /** Per-item timeouts to try, ms; null: none. */
  timeouts: ReadonlyArray<number | null>;
  repeats: number;
  signal: AbortSignal;
  onPoint: (p: StragglerPoint, done: number, cells: number) => void;
}

/** What the runs of one cell add up to. */
interface CellTally {
  latenciesMs: number[];
  itemsRetried: number;
  timeouts: number;
  itemsDone: number;
  itemsFailed: number;
  bytes: number;
}

/**
 * The warm-up (measure-cells.ts `runWarmUp`): one book, unmeasured, before the cells; otherwise the
 * first cell alone pays the process's start-up in its latencies (measured: a p50 of 0.5–0.9 s in the
 * first cell against 0.08–0.15 s in the next, at 50 ms RTT). Without a timeout, so a straggler met
 * here runs to its end (the proxy keeps it slow for the first cell).
 */
function warmUpSpec(spec: GutenbergJobSpec, outDir: string): GutenbergJobSpec {
  const { itemTimeoutMs: _none, ...rest } = spec;
  return { ...rest, selection: { ...spec.selection, limit: 1 }, outDir };
}

export async function runStragglerLab(req: StragglerLabRequest): Promise<StragglerPoint[]> {
  const timeouts = [...new Set(req.timeouts)].sort((a, b) => (a ?? -1) - (b ?? -1));
  // Its cells are the job's workers: refused before anything runs when they do not fit the open-files limit.
  const openFiles = { cap: req.spec.maxPerHost };
  refuseCellsPastOpenFiles([req.spec], openFiles);
  const base = join(req.spec.outDir, `.fanout-lab-${randomUUID().slice(0, 8)}`);
  const points: StragglerPoint[] = [];
  let lock: OutputLock | null = null;
  try {
    // Held like a job's: a download into the same folder is refused while the lab measures.
    lock = await prepareOutputFolder(req.spec.outDir, 'lab', [], { keep: true });
    await runWarmUp(runGutenbergJob, warmUpSpec(req.spec, join(base, 'warm-up')), join(base, 'warm-up'), req.signal);
    for (const timeoutMs of timeouts) {
      const tally: CellTally = { latenciesMs: [], itemsRetried: 0, timeouts: 0, itemsDone: 0, itemsFailed: 0, bytes: 0 };
      await measureCells({
        cells: [{ strategy: req.spec.strategy, workers: req.spec.workers, scrubExecutor: req.spec.scrubExecutor }],
        openFiles,
        repeats: req.repeats,
        base: join(base, timeoutMs === null ? 'off' : `t${timeoutMs}`),
        signal: req.signal,
        specFor: (_cell, outDir): GutenbergJobSpec => {
          const { itemTimeoutMs: _none, ...rest } = req.spec;
          return timeoutMs === null ? { ...rest, outDir } : { ...rest, itemTimeoutMs: timeoutMs, outDir };
        },
        run: async (spec, control) => {
          const summary = await runGutenbergJob(spec, {
            ...control,
            onItemTimed: (t) => {
              if (t.landed) tally.latenciesMs.push(t.ms);
              if (t.attempts > 1) tally.itemsRetried++;
              tally.timeouts += t.timedOut;
            },
          });
          tally.itemsDone += summary.itemsDone;
          tally.itemsFailed += summary.itemsFailed;
          tally.bytes += summary.bytes;
          return summary;
        },
        onPoint: (p) => {
          const point: StragglerPoint = { timeoutMs, wallMs: p.wallMs, medianMs: p.medianMs, repeats: p.wallMs.length, ...tally, latenciesMs: [...tally.latenciesMs].sort((a, b) => a - b) };
          points.push(point);
          req.onPoint(point, points.length, timeouts.length);
        },
      });
    }
    return points;
  } finally {
    await rm(base, { recursive: true, force: true }).catch(() => {});
    await lock?.release();
  }
}
