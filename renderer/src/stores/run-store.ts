/**
 * The live run store. Events arrive at up to ~10 frames/s per job; they are queued and applied
 * once per animation frame (one zustand update per frame). React components select header fields;
 * charts read `runBuffers` imperatively when `version` changes (zustand transient updates).
 */
import { create } from 'zustand';
import type { JobEvent, TelemetryFrame } from '../../../shared/events';
import { RECORDING_PAGE_FRAMES, type ActiveJob, type RunRecordingPage } from '../../../shared/ipc';
import { appendFrameToBuffers, downloadedFor, emptyBuffers, etaBandFor, initialHeader, reduceHeader, type RunBuffers, type RunHeader } from './run-model';

export interface RunState extends RunHeader {
  /** Bumped whenever the buffers changed; charts subscribe to it. */
  version: number;
}

export const useRunStore = create<RunState>(() => ({ ...initialHeader, version: 0 }));

/** High-rate data, mutated in place, never part of React state. */
export let runBuffers: RunBuffers = emptyBuffers();

let pending: JobEvent[] = [];
let scheduled = false;

const raf = (globalThis as { requestAnimationFrame?: (cb: () => void) => number }).requestAnimationFrame;
/** Once per animation frame in a browser; a 16 ms timer elsewhere (unit tests under Node). */
const schedule: (cb: () => void) => void = raf ? (cb) => void raf(cb) : (cb) => void setTimeout(cb, 16);

/** Applies every queued event now (the rAF callback; tests call it directly). */
/** Cost of applying frames, for the performance benchmark (read by tests/e2e/perf.spec.ts). */
export const runPerf = { flushes: 0, maxFlushMs: 0, totalFlushMs: 0 };
(globalThis as { __fanoutRunPerf?: typeof runPerf }).__fanoutRunPerf = runPerf;

export function flushRunEvents(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const t0 = performance.now();
  const batch = pending;
  pending = [];
  const state = useRunStore.getState();
  let header: RunHeader = state;
  for (const e of batch) {
    if (e.kind === 'job:started' && e.jobId !== header.jobId) runBuffers = emptyBuffers();
    if (e.kind === 'job:frame' && (header.jobId === null || header.jobId === e.jobId)) {
      appendFrameToBuffers(runBuffers, e.frame);
      if (backfill?.jobId === e.jobId) backfill.live.push(e.frame);
    }
    header = reduceHeader(header, [e]);
  }
  header = { ...header, etaBand: etaBandFor(header, runBuffers), downloaded: downloadedFor(header, runBuffers) };
  useRunStore.setState({ ...header, version: state.version + 1 });
  const ms = performance.now() - t0;
  runPerf.flushes++;
  runPerf.totalFlushMs += ms;
  runPerf.maxFlushMs = Math.max(runPerf.maxFlushMs, ms);
}

export function enqueueJobEvent(e: JobEvent): void {
  pending.push(e);
  if (!scheduled) {
    scheduled = true;
    schedule(flushRunEvents);
  }
}

/** Starts following a freshly started job (before its first event arrives). */
export function beginRun(jobId: string, kind: RunHeader['kind'], workerCount: number, source: string | null = null): void {
  // The job's first events (job:started, with its strategy) may arrive before startJob answers:
  // keep them, and keep a header they already built.
  if (useRunStore.getState().jobId === jobId) {
    useRunStore.setState({ source });
    return;
  }
  loadGeneration++; // a recording still loading must not replace the live run
  runBuffers = emptyBuffers();
  pending = pending.filter((e) => e.jobId === jobId);
  useRunStore.setState((s) => ({ ...initialHeader, jobId, kind, status: 'running', workerCount, source, version: s.version + 1 }));
}

/**
 * Follows a job the host runs that this page did not start, or no longer knows (the page was
 * reloaded, another tab started it): its kind, paused or not, and its numbers from its last frame.
 * A paused job sends no frames, so without this the page showed nothing and offered Start again.
 */
export function attachRun(job: ActiveJob): void {
  const now = useRunStore.getState();
  if (now.jobId === job.jobId && !now.replay) {
    // Already followed from its frames: what frames do not carry (its kind), and a pause without frames.
    useRunStore.setState((s) => ({
      kind: s.kind ?? job.kind,
      strategy: s.strategy ?? job.strategy ?? null,
      outDir: s.outDir ?? job.outDir ?? null,
      workerCount: Math.max(s.workerCount, job.workers ?? 0),
      status: job.paused ? 'paused' : s.status,
      version: s.version + 1,
    }));
    return;
  }
  loadGeneration++;
  runBuffers = emptyBuffers();
  pending = pending.filter((e) => e.jobId === job.jobId);
  // Taken up mid-job: what ran before now never reached this page (its timeline says so).
  const seenFromMs = job.lastFrame?.t ?? Math.max(0, Date.now() - Date.parse(job.startedAt) || 0);
  let header: RunHeader = { ...initialHeader, jobId: job.jobId, kind: job.kind, status: 'running', strategy: job.strategy ?? null, workerCount: job.workers ?? 0, outDir: job.outDir ?? null, seenFromMs };
  if (job.lastFrame) {
    appendFrameToBuffers(runBuffers, job.lastFrame);
    header = reduceHeader(header, [{ kind: 'job:frame', jobId: job.jobId, frame: job.lastFrame }]);
  }
  header = { ...header, status: job.paused ? 'paused' : 'running' };
  useRunStore.setState((s) => ({ ...header, version: s.version + 1 }));
}

/** The followed job is gone from the host without a summary (the host was restarted): the view says so instead of "running" for ever. */
export function markRunLost(jobId: string): void {
  useRunStore.setState((s) =>
    s.jobId !== jobId
      ? s
      : {
          status: 'finished',
          etaMs: null,
          etaBand: null,
          activeWorkers: 0,
          warnings: [...s.warnings, 'The Fanout host no longer runs this job and has no summary of it (was it restarted?). Start the same job again: finished books and messages are skipped.'],
          version: s.version + 1,
        },
  );
}

/** Bumped by every load and every new live run: a load overtaken by either is dropped. */
let loadGeneration = 0;

/** A recording's pages as `history:get` answers them (frames [from, from + count)). */
export type RecordingPages = (from: number, count: number) => Promise<RunRecordingPage | null>;
export type RecordingLoad = 'loaded' | 'missing' | 'overtaken';

/** Resolves in a later task: the page gets to render and handle input in between. */
export const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** The job whose recording so far is being loaded (`backfillRun`), and the live frames meanwhile. */
let backfill: { jobId: string; live: TelemetryFrame[] } | null = null;

/**
 * A job taken up mid-way (`seenFromMs` > 0): its recording so far (`job:recording`, paged like a
 * past run's) is loaded into new buffers, the live frames that came meanwhile (and `seed`, the frame
 * it was taken up from) are applied after those the recording holds (by `seq`), and the view
 * switches to them in one update: the timeline and charts run from the job's start, not from the
 * reload. Left as it is (the time before marked not seen) when the host has no recording or a
 * new run or load overtakes it.
 */
export async function backfillRun(jobId: string, pages: RecordingPages, seed: readonly TelemetryFrame[] = []): Promise<RecordingLoad> {
  const generation = loadGeneration;
  const mine = { jobId, live: [...seed] };
  backfill = mine;
  const overtaken = () => generation !== loadGeneration || useRunStore.getState().jobId !== jobId || useRunStore.getState().replay;
  try {
    const buffers = emptyBuffers();
    let lastSeq = -1;
    let next: Promise<RunRecordingPage | null> | null = pages(0, RECORDING_PAGE_FRAMES);
    while (next) {
      const page: RunRecordingPage | null = await next;
      if (overtaken()) {
        next = null;
        return 'overtaken';
      }
      if (!page) return 'missing';
      const end: number = page.from + page.frames.length;
      next = page.frames.length > 0 && end < page.totalFrames ? pages(end, RECORDING_PAGE_FRAMES) : null;
      for (const frame of page.frames) {
        appendFrameToBuffers(buffers, frame);
        lastSeq = Math.max(lastSeq, frame.seq);
      }
      await nextTask();
    }
    if (overtaken()) return 'overtaken';
    flushRunEvents(); // frames queued now are in `mine.live` too
    for (const frame of mine.live) if (frame.seq > lastSeq) appendFrameToBuffers(buffers, frame);
    runBuffers = buffers;
    useRunStore.setState((s) => ({ seenFromMs: 0, version: s.version + 1 }));
    return 'loaded';
  } finally {
    if (backfill === mine) backfill = null;
  }
}

/**
 * Loads a past run into the same live view. A long run's recording (1,200 frames, 20,000 spans,
 * ~6 MB) is asked for RECORDING_PAGE_FRAMES frames at a time (the next page is asked for before
 * this one is applied), and each page is applied in a task of its own: one 6 MB message was one
 * long task (decoding and parsing it). The view switches over in one update at the end.
 */
export async function loadRecording(jobId: string, pages: RecordingPages): Promise<RecordingLoad> {
  const generation = ++loadGeneration;
  const buffers = emptyBuffers();
  let header: RunHeader = { ...initialHeader, jobId, replay: true, status: 'running' };
  let summary: RunRecordingPage['summary'] = null;
  let next: Promise<RunRecordingPage | null> | null = pages(0, RECORDING_PAGE_FRAMES);
  /** Dropped: the page already asked for may still fail, and nobody waits for it any more. */
  const overtaken = (): RecordingLoad => {
    next?.catch(() => {});
    return 'overtaken';
  };
  while (next) {
    const page: RunRecordingPage | null = await next;
    if (generation !== loadGeneration) return overtaken();
    if (!page) return 'missing';
    const end: number = page.from + page.frames.length;
    next = page.frames.length > 0 && end < page.totalFrames ? pages(end, RECORDING_PAGE_FRAMES) : null;
    for (const frame of page.frames) {
      appendFrameToBuffers(buffers, frame);
      header = reduceHeader(header, [{ kind: 'job:frame', jobId, frame }]);
    }
    summary = page.summary ?? summary;
    await nextTask();
    if (generation !== loadGeneration) return overtaken();
  }
  if (summary) header = reduceHeader(header, [{ kind: 'job:finished', jobId, summary }]);
  header = { ...header, replay: true, status: 'finished' };
  runBuffers = buffers;
  pending = [];
  useRunStore.setState((s) => ({ ...header, version: s.version + 1 }));
  return 'loaded';
}
