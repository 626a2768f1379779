/**
 * The speedup lab: runs one sample of a job under strategies × worker counts (× repeats) one
 * after the other, each into a fresh output folder (so nothing is skipped as already present),
 * and reports each cell's median wall time. What the times say (baselines, fits, notes) is worked out
 * from the points by shared/lab/lab-analysis.ts, for the UI and `fanout lab` alike.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabEvent, LabPoint, LabRequest } from '../../../shared/ipc';
import type { GutenbergJobSpec } from '../../../shared/job-spec';
import type { Strategy } from '../../../shared/strategy';
import { FanoutError, abortedError, toFanoutError } from '../core/fanout-error';
import type { OutputLock } from '../output/output-lock';
import { prepareOutputFolder } from '../output/prepare-folder';
import { PauseGate } from '../core/pause-gate';
import type { JobRunner } from './job-manager';

export interface LabCell {
  strategy: Strategy;
  workers: number;
  scrubExecutor: 'threads' | 'processes';
}

/** The cells of a lab request in run order. `serial` is one worker by definition: it gets one cell. */
export function labCells(req: Pick<LabRequest, 'strategies' | 'workerCounts' | 'compareScrubExecutors'>): LabCell[] {
  const counts = [...new Set(req.workerCounts)].sort((a, b) => a - b);
  const cells: LabCell[] = [];
  for (const strategy of req.strategies) {
    for (const workers of strategy === 'serial' ? [1] : counts) cells.push({ strategy, workers, scrubExecutor: 'threads' });
  }
  if (req.compareScrubExecutors) {
    const strategy = req.strategies.find((s) => s !== 'serial') ?? req.strategies[0]!;
    const workers = strategy === 'serial' ? 1 : counts[counts.length - 1]!;
    cells.push({ strategy, workers, scrubExecutor: 'processes' });
  }
  return cells;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export class LabRunner {
  readonly #running = new Map<string, AbortController>();

  constructor(
    private readonly run: JobRunner<GutenbergJobSpec>,
    private readonly emit: (e: LabEvent) => void,
  ) {}

  /** Starts a lab in the background; returns its id at once. */
  start(req: LabRequest & { spec: GutenbergJobSpec }): { labId: string; done: Promise<LabPoint[]> } {
    const labId = `lab-${randomUUID().slice(0, 8)}`;
    const controller = new AbortController();
    this.#running.set(labId, controller);
    const done = this.#run(labId, req, controller.signal).finally(() => this.#running.delete(labId));
    return { labId, done };
  }

  cancel(labId: string): void {
    this.#running.get(labId)?.abort();
  }

  async #run(labId: string, req: LabRequest & { spec: GutenbergJobSpec }, signal: AbortSignal): Promise<LabPoint[]> {
    const cells = labCells(req);
    const points: LabPoint[] = [];
    const base = join(req.spec.outDir, `.fanout-lab-${labId}`);
    this.emit({ kind: 'lab:started', labId, cells: cells.length });
    let lock: OutputLock | null = null;
    try {
      // The lab writes into the output folder too: it holds the folder's lock like any job, so a
      // download into the same folder is refused while it measures (and the reverse).
      lock = await prepareOutputFolder(req.spec.outDir, 'lab');
      for (const cell of cells) {
        const wallMs: number[] = [];
        let last = { itemsDone: 0, itemsFailed: 0, bytes: 0 };
        for (let r = 0; r < req.repeats; r++) {
          if (signal.aborted) throw abortedError();
          const outDir = join(base, `${cell.strategy}-w${cell.workers}-${cell.scrubExecutor}-r${r}`);
          const spec: GutenbergJobSpec = {
            ...req.spec,
            workers: cell.workers,
            strategy: cell.strategy,
            scrubExecutor: cell.scrubExecutor,
            selection: { ...req.spec.selection, limit: req.sampleSize },
            outDir,
          };
          const t0 = performance.now();
          const summary = await this.run(spec, { signal, pause: new PauseGate(), onEvent: () => {} });
          if (summary.status === 'cancelled' || signal.aborted) throw abortedError();
          // A cell that stopped as a whole (disk full, read-only output, a mirror that refuses the login or
          // cannot be reached) ends the lab: the next cells would fail the same way.
          const fatal = summary.failures.find((f) => f.item === '(job)');
          if (fatal) throw new FanoutError(fatal.error.code, fatal.error.message, fatal.error.context);
          wallMs.push(summary.wallMs > 0 ? summary.wallMs : performance.now() - t0);
          last = { itemsDone: summary.itemsDone, itemsFailed: summary.itemsFailed, bytes: summary.bytes };
          await rm(outDir, { recursive: true, force: true });
        }
        const point: LabPoint = { ...cell, wallMs, medianMs: median(wallMs), ...last };
        points.push(point);
        this.emit({ kind: 'lab:point', labId, point, done: points.length, cells: cells.length });
      }
      // Like a job: every cell ran, but one with failed items makes the lab `failed` (its time covers fewer books).
      this.emit({ kind: 'lab:finished', labId, status: points.some((p) => p.itemsFailed > 0) ? 'failed' : 'succeeded', points });
    } catch (raw) {
      if (signal.aborted) this.emit({ kind: 'lab:finished', labId, status: 'cancelled', points });
      else this.emit({ kind: 'lab:finished', labId, status: 'failed', points, error: toFanoutError(raw).toJSON() });
    } finally {
      await rm(base, { recursive: true, force: true }).catch(() => {});
      await lock?.release();
    }
    return points;
  }
}
