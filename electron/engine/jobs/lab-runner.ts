/**
 * Runs the lab's experiments for a host (UI) or the CLI: each lab gets an id, runs in the
 * background, reports `lab:started`, one `lab:point` per cell and `lab:finished` (succeeded / failed
 * / cancelled, like a job), and can be cancelled. What a lab measures is its `LabPlan` (the Gutenberg
 * strategies × workers grid here; scrub, queue and mail in lab-plans.ts), each calling the same
 * engine function as its `fanout lab` command. What the points say (baselines, fits, notes) is
 * worked out by shared/lab/, for the UI and `fanout lab` alike.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ActiveLab, AnyLabPoint, LabContext, LabEventOf, LabKind, LabPoint, LabRequest, LabTimeline } from '../../../shared/ipc';
import type { GutenbergJobSpec } from '../../../shared/job-spec';
import { LAB_TITLES } from '../../../shared/lab/lab-titles';
import { toFanoutError } from '../core/fanout-error';
import { measureCells, type LabCell } from '../lab/measure-cells';
import { median } from '../../../shared/median';
import type { OutputLock } from '../output/output-lock';
import { prepareOutputFolder } from '../output/prepare-folder';
import { JobSelection } from '../gutenberg/job-selection';
import type { JobRunner } from './job-manager';
import { redactUrl } from '../../../shared/input-checks';

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

/** One experiment, ready to run: its kind, cell count, what its analysis needs, and the grid itself. */
export interface LabPlan<P extends AnyLabPoint> {
  lab: LabKind;
  cells: number;
  context: LabContext;
  /** Runs every cell (in order), reporting each point as it ends; may end with timelines to show. */
  measure(signal: AbortSignal, onPoint: (p: P, done: number, cells: number) => void): Promise<{ timelines?: LabTimeline[] }>;
}

/**
 * The books each cell of a lab sampling `spec`'s selection runs: the first `requested` of it, or all
 * of them when it holds fewer (a lab titled '16 books' whose cells ran 2 said what it did not
 * measure). `selected`: the selection's size when the caller's input check counted it (the CLI, a UI lab);
 * otherwise the catalog is read here, up to `requested` matches. A catalog that cannot be read
 * leaves `requested`: the hosts' input checks refuse it before a plan is built, and a cell's job
 * reports it in its own words. Every lab plan that samples a Gutenberg selection (here and
 * lab-plans.ts) takes its sample from this, for the UI and the CLI alike.
 */
export async function labSampleSize(spec: GutenbergJobSpec, requested: number, opts: { selected?: number | undefined; signal?: AbortSignal } = {}): Promise<number> {
  if (opts.selected !== undefined) return Math.min(requested, opts.selected);
  try {
    const read = await JobSelection.read(spec.catalog, { ...spec.selection, limit: requested }, opts.signal ?? new AbortController().signal);
    return Math.min(requested, read.total);
  } catch {
    return requested;
  }
}

/**
 * The Gutenberg grid: the sample under each strategy × workers, each cell a whole job into a fresh
 * folder. `checked.selected`: the books the host's input check counted (a UI lab: `lab:run` ran the
 * check), so that the plan does not read the catalog again.
 */
export async function gutenbergLabPlan(run: JobRunner<GutenbergJobSpec>, asked: LabRequest & { spec: GutenbergJobSpec }, checked: { selected?: number | undefined } = {}): Promise<LabPlan<LabPoint>> {
  const req = { ...asked, sampleSize: await labSampleSize(asked.spec, asked.sampleSize, checked) };
  const cells = labCells(req);
  return {
    lab: 'gutenberg',
    cells: cells.length,
    // Every cell runs under the job's cap and wait.
    context: { title: LAB_TITLES.gutenberg(req.sampleSize), cores: availableParallelism(), rateCap: req.spec.limitRate ?? null, maxPerHost: req.spec.maxPerHost ?? null, mirror: redactUrl(req.spec.mirror) },
    async measure(signal, onPoint) {
      const base = join(req.spec.outDir, `.fanout-lab-${randomUUID().slice(0, 8)}`);
      let lock: OutputLock | null = null;
      try {
        // The lab writes into the output folder too: it holds the folder's lock like any job, so a
        // download into the same folder is refused while it measures (and the reverse).
        lock = await prepareOutputFolder(req.spec.outDir, 'lab', [], { keep: true });
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
          run,
          onPoint,
          // Cells past the open-files limit are refused (measure-cells.ts): a cell runs at most --max-per-host.
          openFiles: { cap: req.spec.maxPerHost },
          // One book under the first cell's settings, unmeasured: the first cell does not pay the start-up.
          warmUp: (outDir): GutenbergJobSpec => ({
            ...req.spec,
            workers: cells[0]!.workers,
            strategy: cells[0]!.strategy,
            selection: { ...req.spec.selection, limit: 1 },
            outDir,
          }),
        });
        return {};
      } finally {
        await rm(base, { recursive: true, force: true }).catch(() => {});
        await lock?.release();
      }
    },
  };
}

/**
 * The labs running in this process, by id. `P` is the point type its listener receives: the CLI's
 * Gutenberg lab sees `LabPoint`s; a host running every kind uses `AnyLabPoint`.
 */
/** `lab:finished` events kept for `finished()`: a page that missed one learns it on its next load. */
const FINISHED_KEPT = 4;

interface RunningLab {
  controller: AbortController;
  state: ActiveLab;
}

export class LabRunner<P extends AnyLabPoint = LabPoint> {
  readonly #running = new Map<string, RunningLab>();
  readonly #finished: Array<LabEventOf<P> & { kind: 'lab:finished' }> = [];

  constructor(
    private readonly run: JobRunner<GutenbergJobSpec>,
    private readonly emit: (e: LabEventOf<P>) => void,
  ) {}

  /** Starts a Gutenberg lab in the background; returns its id at once. */
  start(req: LabRequest & { spec: GutenbergJobSpec }): { labId: string; done: Promise<LabPoint[]> } {
    // A Gutenberg lab's points are LabPoints, which every listener of this runner accepts.
    return this.startPlan(gutenbergLabPlan(this.run, req) as unknown as Promise<LabPlan<P>>) as unknown as { labId: string; done: Promise<LabPoint[]> };
  }

  /**
   * Starts any lab's plan in the background; returns its id at once, and its points when it ends.
   * A plan still being built (the Gutenberg grid counts its sample first) starts once it is; one
   * that cannot be built ends the lab `failed` with its error.
   */
  startPlan(plan: LabPlan<P> | Promise<LabPlan<P>>): { labId: string; done: Promise<P[]> } {
    const labId = `lab-${randomUUID().slice(0, 8)}`;
    const controller = new AbortController();
    // A plan still being built is the Gutenberg grid (start()); its cells are known once it is.
    const planned = plan instanceof Promise ? null : plan;
    const state: ActiveLab = { labId, lab: planned?.lab ?? 'gutenberg', cells: planned?.cells ?? 0, done: 0, startedAt: new Date().toISOString() };
    this.#running.set(labId, { controller, state });
    const done = this.#run(labId, plan, controller.signal).finally(() => this.#running.delete(labId));
    return { labId, done };
  }

  cancel(labId: string): void {
    this.#running.get(labId)?.controller.abort();
  }

  /** The labs running now, with their progress (and, once started, their context and points so far). */
  active(): ActiveLab[] {
    return [...this.#running.values()].map((r) => ({ ...r.state, ...(r.state.points ? { points: [...r.state.points] } : {}) }));
  }

  /** The last labs' `lab:finished` events, oldest first (bounded). */
  finished(): Array<LabEventOf<P> & { kind: 'lab:finished' }> {
    return [...this.#finished];
  }

  /** Emits a lab event, keeping the running lab's progress and the last ends for `active()`/`finished()`. */
  #emit(e: LabEventOf<P>): void {
    const r = this.#running.get(e.labId);
    if (e.kind === 'lab:started' && r) Object.assign(r.state, { lab: e.lab, cells: e.cells, context: e.context, points: [] });
    else if (e.kind === 'lab:point' && r) {
      Object.assign(r.state, { done: e.done, cells: e.cells });
      r.state.points?.push(e.point);
    } else if (e.kind === 'lab:finished') {
      // No longer running once its end is said: a page asking on that event sees it ended.
      this.#running.delete(e.labId);
      this.#finished.push(e);
      if (this.#finished.length > FINISHED_KEPT) this.#finished.shift();
    }
    this.emit(e);
  }

  async #run(labId: string, planned: LabPlan<P> | Promise<LabPlan<P>>, signal: AbortSignal): Promise<P[]> {
    const points: P[] = [];
    let plan: LabPlan<P>;
    try {
      plan = await planned;
    } catch (raw) {
      this.#emit({ kind: 'lab:finished', labId, status: signal.aborted ? 'cancelled' : 'failed', points, ...(signal.aborted ? {} : { error: toFanoutError(raw).toJSON() }) });
      return points;
    }
    this.#emit({ kind: 'lab:started', labId, cells: plan.cells, lab: plan.lab, context: plan.context });
    // Its end names its kind and context: a page loaded after it started shows its results whole.
    const about = { lab: plan.lab, context: plan.context };
    try {
      const { timelines } = await plan.measure(signal, (point, done, cells) => {
        points.push(point);
        this.#emit({ kind: 'lab:point', labId, point, done, cells });
      });
      // Like a job: every cell ran, but one with failed items makes the lab `failed` (its time covers fewer items).
      const status = points.some((p) => p.itemsFailed > 0) ? 'failed' : 'succeeded';
      this.#emit({ kind: 'lab:finished', labId, status, points, ...(timelines ? { timelines } : {}), ...about });
    } catch (raw) {
      if (signal.aborted) this.#emit({ kind: 'lab:finished', labId, status: 'cancelled', points, ...about });
      else this.#emit({ kind: 'lab:finished', labId, status: 'failed', points, error: toFanoutError(raw).toJSON(), ...about });
    }
    return points;
  }
}
