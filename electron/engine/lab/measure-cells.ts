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
import { GUTENBERG_FILES, filesNeeded, openFilesLimit, perWorkerText, planForOpenFiles, raiseLimitText, type FilesProfile } from '../core/open-files-check';
import { PauseGate } from '../core/pause-gate';
import type { JobRunner } from '../jobs/job-manager';
import { median } from '../../../shared/median';

export interface LabCell {
  strategy: Strategy;
  workers: number;
  scrubExecutor: 'threads' | 'processes';
}

/** What a lab's cells are checked against before any runs (`refuseCellsPastOpenFiles`). */
export interface CellsFilesCheck {
  /** The job's kind (default: a Gutenberg job's). */
  profile?: FilesProfile;
  /** How the job names its workers (default 'workers'; mail: 'connections'). */
  noun?: 'workers' | 'connections';
  /** The connections every cell is held to anyway (`--max-per-host`): a cell runs at most this many. */
  cap?: number | undefined;
  /** The open-files limit (tests); default: this process's now. */
  limit?: number | null;
}

/**
 * The open-files pre-flight of a lab: a job whose workers need more files than this process may open
 * (ulimit -n) runs the workers that fit, with only a warning (core/open-files-check.ts); a lab cell
 * run so would be reported at N workers though it ran at M < N. Such cells are refused before anything
 * is measured (OUT_OF_RESOURCES naming them, the limit, the most that fit and the fix): the lab is
 * run again with the workers that fit, or under a higher limit. Serial cells are one worker, never lowered.
 */
export function refuseCellsPastOpenFiles(cells: readonly Pick<LabCell, 'strategy' | 'workers'>[], check: CellsFilesCheck = {}): void {
  const profile = check.profile ?? GUTENBERG_FILES;
  const noun = check.noun ?? 'workers';
  const limit = check.limit === undefined ? openFilesLimit() : check.limit;
  if (limit === null) return;
  const lowered = new Map<number, number>();
  for (const cell of cells) {
    if (cell.strategy === 'serial') continue;
    const runs = check.cap === undefined ? cell.workers : Math.min(cell.workers, check.cap);
    const plan = planForOpenFiles(runs, { noun, profile, limit });
    if (plan.workers < runs) lowered.set(runs, plan.workers);
  }
  if (lowered.size === 0) return;
  const asked = [...lowered.keys()].sort((a, b) => a - b);
  const fit = Math.min(...lowered.values());
  const needs = asked.map((n) => filesNeeded(n, profile));
  const list = asked.join(', ');
  throw new FanoutError(
    'OUT_OF_RESOURCES',
    `this process may have ${limit} files and connections open (ulimit -n): the cells at ${list} ${noun} need about ${needs.join(', ')} (${perWorkerText(profile)}): ` +
      `a job would run them at ${fit} ${fit === 1 ? noun.slice(0, -1) : noun}, not ${list}, so they are not measured; measure at most ${fit} ${fit === 1 ? noun.slice(0, -1) : noun}, ` +
      `or ${raiseLimitText(Math.max(...needs))}`,
  );
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
  /** The open-files pre-flight of the cells (`refuseCellsPastOpenFiles`; default: Gutenberg workers, no cap). */
  openFiles?: CellsFilesCheck;
}): Promise<LabPoint[]> {
  // Before the warm-up: a lab that cannot measure its cells at their workers runs nothing.
  refuseCellsPastOpenFiles(o.cells, o.openFiles);
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
