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
import { toFanoutError } from '../core/fanout-error';
import { measureCells, median, type LabCell } from '../lab/measure-cells';
import type { OutputLock } from '../output/output-lock';
import { prepareOutputFolder } from '../output/prepare-folder';
import type { JobRunner } from './job-manager';

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

export { median, type LabCell };

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
      await measureCells({
        cells,
        repeats: req.repeats,
        base,
        signal,
        specFor: (cell, outDir): GutenbergJobSpec => ({
          ...req.spec,
          workers: cell.workers,
          strategy: cell.strategy,
          scrubExecutor: cell.scrubExecutor,
          selection: { ...req.spec.selection, limit: req.sampleSize },
          outDir,
        }),
        run: this.run,
        onPoint: (point, done, total) => {
          points.push(point);
          this.emit({ kind: 'lab:point', labId, point, done, cells: total });
        },
      });
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
