import { create } from 'zustand';
import type { AnyLabPoint, LabActiveState, LabContext, LabEvent, LabKind, LabTimeline } from '../../../shared/ipc';
import { getApi } from '../api/api';
import type { ScrubExecutor } from '../../../shared/job-spec';
import type { Strategy } from '../../../shared/strategy';

export type LabStatus = 'idle' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One lab run as its events told it: the points so far (the finished set at the end). */
export interface LabRun {
  labId: string;
  lab: LabKind;
  status: LabStatus;
  cells: number;
  done: number;
  points: AnyLabPoint[];
  context: LabContext;
  timelines: LabTimeline[];
  error: string | null;
}

/** The grid each experiment's panel offers (what its `fanout lab <kind>` options set). */
export interface LabConfigs {
  gutenberg: { strategies: Strategy[]; workerCounts: number[]; sampleSize: number; repeats: number; compareScrubExecutors: boolean };
  /** `input` empty: the Gutenberg output folder's raw/ books. */
  scrub: { input: string; sampleSize: number; executors: ScrubExecutor[]; workerCounts: number[]; repeats: number };
  queue: { bounds: Array<number | null>; workers: number; strategy: Strategy; sampleSize: number; repeats: number };
  /** The account comes from the mail settings, the password is typed (never stored here). */
  mail: { strategies: Strategy[]; connectionCounts: number[]; repeats: number; folders: string; outDir: string };
  /** Per-item timeouts, ms (null: none); one request per book, so not adaptive. */
  stragglers: { timeouts: Array<number | null>; workers: number; strategy: Strategy; sampleSize: number; repeats: number };
}

export interface LabState {
  /** The experiment shown. */
  shown: LabKind;
  /** The latest run of each kind (kept when another kind runs, so the I/O vs CPU chart can use both). */
  runs: Partial<Record<LabKind, LabRun>>;
  configs: LabConfigs;
  /**
   * Labs running that this page did not see start (it was reloaded mid-lab): their progress from
   * their points, so the page neither starts a second lab beside them nor hides how to cancel them.
   */
  foreign: Record<string, { done: number; cells: number }>;
  /**
   * The lab kind asked to run whose `lab:started` has not come yet: shown as starting (not the
   * previous run's result, which an Export would otherwise still give), and no second Run meanwhile.
   */
  starting: LabKind | null;
}

export const useLabStore = create<LabState>(() => ({
  shown: 'gutenberg',
  runs: {},
  foreign: {},
  starting: null,
  configs: {
    // The speedup labs run each cell 3 times (dashboard.md §3: k ≥ 3, the median as the point, the
    // spread as a bar; with one run a cell's point has no spread to show). Queue and stragglers
    // measure other things (memory per bound; every item's latency) and stay at one run.
    gutenberg: { strategies: ['queue', 'adaptive'], workerCounts: [1, 2, 4, 8, 16], sampleSize: 16, repeats: 3, compareScrubExecutors: false },
    scrub: { input: '', sampleSize: 64, executors: ['threads', 'processes'], workerCounts: [1, 2, 4, 8], repeats: 3 },
    queue: { bounds: [1, 2, 4, 8, 16, 32, 64, null], workers: 8, strategy: 'queue', sampleSize: 32, repeats: 1 },
    mail: { strategies: ['serial', 'queue', 'split', 'adaptive'], connectionCounts: [1, 2, 4], repeats: 3, folders: 'all', outDir: '' },
    stragglers: { timeouts: [null, 2000, 5000], workers: 4, strategy: 'queue', sampleSize: 16, repeats: 1 },
  },
}));

/** The run holding this lab id, if any. */
function runOf(s: Pick<LabState, 'runs'>, labId: string): LabRun | undefined {
  return Object.values(s.runs).find((r) => r?.labId === labId);
}

/** Applies one lab event (pure). Points and finishes of a lab this window has not seen start are ignored. */
export function reduceLab(s: LabState, e: LabEvent): Partial<LabState> {
  if (e.kind === 'lab:started') {
    const run: LabRun = { labId: e.labId, lab: e.lab, status: 'running', cells: e.cells, done: 0, points: [], context: e.context, timelines: [], error: null };
    return { runs: { ...s.runs, [e.lab]: run }, ...(s.starting === e.lab ? { starting: null } : {}) };
  }
  const run = runOf(s, e.labId);
  if (!run) {
    if (e.kind === 'lab:point') return { foreign: { ...s.foreign, [e.labId]: { done: e.done, cells: e.cells } } };
    if (!s.foreign || !Object.hasOwn(s.foreign, e.labId)) return {};
    const { [e.labId]: _gone, ...others } = s.foreign;
    return { foreign: others };
  }
  const next: LabRun =
    e.kind === 'lab:point'
      ? { ...run, points: [...run.points, e.point], done: e.done, cells: e.cells }
      : { ...run, status: e.status, points: e.points, timelines: e.timelines ?? [], error: e.error ? `${e.error.code}: ${e.error.message}` : null };
  return { runs: { ...s.runs, [run.lab]: next } };
}

export function applyLabEvent(e: LabEvent): void {
  useLabStore.setState((s) => reduceLab(s, e));
}

/** What a run this page followed says when the host no longer knows it (restarted). */
export const LAB_LOST = 'The Fanout host no longer runs this lab (it was restarted?): its results are lost. Run it again.';

/**
 * The page's labs brought in line with the host's (`lab:active`, at load and after a reconnect;
 * pure): a lab the host runs that the page did not see start is shown as running (with its
 * progress); one the page shows running that has ended takes its end from the host's last ends, or
 * is marked lost when the host no longer knows it. A lab that ends no longer keeps Start disabled.
 */
export function reconcileLabs(s: LabState, host: LabActiveState): Partial<LabState> {
  const running = new Map(host.running.map((l) => [l.labId, l]));
  const runs = { ...s.runs };
  const foreign: LabState['foreign'] = {};
  let shown = s.shown;
  for (const l of host.running) {
    const own = runOf(s, l.labId);
    if (own) runs[own.lab] = { ...own, status: 'running', done: l.done, cells: l.cells };
    else if (l.context && l.points) {
      // Started before this page was loaded: taken up whole (its points so far, its context), and shown.
      runs[l.lab] = { labId: l.labId, lab: l.lab, status: 'running', cells: l.cells, done: l.done, points: [...l.points], context: l.context, timelines: [], error: null };
      shown = l.lab;
    } else foreign[l.labId] = { done: l.done, cells: l.cells };
  }
  let next: LabState = { ...s, runs, foreign };
  for (const run of Object.values(s.runs)) {
    if (!run || run.status !== 'running' || running.has(run.labId)) continue;
    const end = host.finished.find((f) => f.labId === run.labId);
    next = end ? { ...next, ...reduceLab(next, end) } : { ...next, runs: { ...next.runs, [run.lab]: { ...run, status: 'failed', error: LAB_LOST } } };
  }
  // A lab that ended while no page of this one was open (closed mid-lab, come back later): the
  // latest end of each kind the page shows no run of, with its results.
  const ended = { ...next.runs };
  for (const f of host.finished) {
    if (!f.lab || !f.context || next.runs[f.lab]) continue;
    ended[f.lab] = { labId: f.labId, lab: f.lab, status: f.status, cells: f.points.length, done: f.points.length, points: f.points, context: f.context, timelines: f.timelines ?? [], error: f.error ? `${f.error.code}: ${f.error.message}` : null };
  }
  // A lab asked to run that the host does not list is not starting any more (its start failed, or its events were lost).
  return { runs: ended, foreign: next.foreign, shown, ...(s.starting && !host.running.some((l) => l.lab === s.starting) ? { starting: null } : {}) };
}

/** Asks the host which labs run and how the last ended (page load, reconnect). */
export async function syncActiveLabs(): Promise<void> {
  const host = await getApi().activeLabs({});
  useLabStore.setState((s) => reconcileLabs(s, host));
}

export function showLab(shown: LabKind): void {
  useLabStore.setState({ shown });
}

export function setLabConfig<K extends LabKind>(kind: K, patch: Partial<LabConfigs[K]>): void {
  useLabStore.setState((s) => ({ configs: { ...s.configs, [kind]: { ...s.configs[kind], ...patch } } }));
}

/** A toggled member of a list (a checkbox group), kept in the order of `all`. */
export function toggleIn<T>(xs: readonly T[], x: T, all: readonly T[]): T[] {
  const next = xs.includes(x) ? xs.filter((y) => y !== x) : [...xs, x];
  return all.filter((y) => next.includes(y));
}
