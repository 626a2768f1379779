/**
 * The loop every job lab shares: each cell (strategy × workers × executor) run `repeats` times,
 * each run a whole job into a fresh folder under `base` (so nothing is skipped as already there),
 * its wall time kept and the folder removed. A run that stopped as a whole (a `(job)` failure: disk
 * full, a refused login, a host that cannot be reached) ends the lab: the next cells would fail the same way.
 * A small job runs first, unmeasured (`warmUp`): otherwise the first cell alone pays the process's
 * start-up (module loading, the first connection and TLS handshake, compiling) — a gutenberg lab
 * showed 9.21× at 2 workers against a serial first cell that had paid it.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobEvent, JobSummary } from '../../../shared/events';
import type { LabPoint } from '../../../shared/ipc';
import type { Strategy } from '../../../shared/strategy';
import { FanoutError, abortedError } from '../core/fanout-error';
import { PauseGate } from '../core/pause-gate';
import type { JobRunner } from '../jobs/job-manager';
import { median } from '../../../shared/median';

export interface LabCell {
  strategy: Strategy;
  workers: number;
  scrubExecutor: 'threads' | 'processes';
}


/** Ends the lab when a run was cancelled or stopped as a whole (its `(job)` failure, as a FanoutError). */
function endLabIfStopped(summary: JobSummary, signal: AbortSignal): void {
  if (summary.status === 'cancelled' || signal.aborted) throw abortedError();
  const fatal = summary.failures.find((f) => f.item === '(job)');
  if (fatal) throw new FanoutError(fatal.error.code, fatal.error.message, fatal.error.context);
}

/**
 * One unmeasured run of a small job into `outDir` (removed after, also when it fails), before a
 * lab's first cell. Cancelling the lab cancels it; its `(job)` failure ends the lab like a cell's.
 */
export async function runWarmUp<S>(run: JobRunner<S>, spec: S, outDir: string, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw abortedError();
  try {
    endLabIfStopped(await run(spec, { signal, pause: new PauseGate(), onEvent: () => {} }), signal);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

export async function measureCells<S>(o: {
  cells: readonly LabCell[];
  repeats: number;
  base: string;
  signal: AbortSignal;
  /** The job of one run of `cell`, writing into `outDir`. */
  specFor: (cell: LabCell, outDir: string) => S;
  run: JobRunner<S>;
  onPoint: (p: LabPoint, done: number, cells: number) => void;
  /** Each run's job events (its frames carry the timeline spans), for a lab that shows a cell's timeline. */
  onRunEvent?: (cell: LabCell, repeat: number, event: JobEvent) => void;
  /** The small job run (by `run`, into `<base>/warm-up`) before the first cell, unmeasured. */
  warmUp?: (outDir: string) => S;
}): Promise<LabPoint[]> {
  const points: LabPoint[] = [];
  if (o.warmUp) {
    const outDir = join(o.base, 'warm-up');
    await runWarmUp(o.run, o.warmUp(outDir), outDir, o.signal);
  }
  for (const cell of o.cells) {
    const wallMs: number[] = [];
    let last = { itemsDone: 0, itemsFailed: 0, bytes: 0 };
    for (let r = 0; r < o.repeats; r++) {
      if (o.signal.aborted) throw abortedError();
      const outDir = join(o.base, `${cell.strategy}-w${cell.workers}-${cell.scrubExecutor}-r${r}`);
      const t0 = performance.now();
      const summary = await o.run(o.specFor(cell, outDir), { signal: o.signal, pause: new PauseGate(), onEvent: (e) => o.onRunEvent?.(cell, r, e) });
      endLabIfStopped(summary, o.signal);
      wallMs.push(summary.wallMs > 0 ? summary.wallMs : performance.now() - t0);
      last = { itemsDone: summary.itemsDone, itemsFailed: summary.itemsFailed, bytes: summary.bytes };
      await rm(outDir, { recursive: true, force: true });
    }
    const point: LabPoint = { ...cell, wallMs, medianMs: median(wallMs), ...last };
    points.push(point);
    o.onPoint(point, points.length, o.cells.length);
  }
  return points;
}
