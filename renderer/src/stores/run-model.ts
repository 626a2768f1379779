/**
 * The live run's data model, pure (no React, no DOM): the low-rate header state that React
 * renders, and the bounded high-rate buffers (throughput series, timeline spans) that the canvas
 * charts read outside React renders.
 */
import type { AutoWorkersDecision, ItemFailure, JobEvent, JobSummary, TelemetryFrame, TimelineSpan, WorkerSnapshot, WorkerState } from '../../../shared/events';
import { ItemTracker, PhaseStats, etaBand, type EtaBand } from '../lib/run-analytics';

/** Points kept per throughput series (≈ 5 min at 10 Hz); older points are dropped. */
export const MAX_SERIES_POINTS = 3000;
/** Closed timeline spans kept at most; past that the oldest are dropped. */
export const MAX_SPANS = 20_000;
/** Failures listed at most. */
export const MAX_FAILURES = 500;

export interface RunHeader {
  jobId: string | null;
  kind: 'gutenberg' | 'mail' | 'scrub' | null;
  status: 'idle' | 'running' | 'paused' | 'finished';
  /** Replaying a past run from history (no controls). */
  replay: boolean;
  strategy: string | null;
  workerCount: number;
  outDir: string | null;
  /** Where a job started from this page fetches from (its mirror URL), or null when this page did not start it. */
  source: string | null;
  itemsTotal: number | null;
  itemsDone: number;
  itemsFailed: number;
  itemsSkipped: number;
  /** Books the scrubber has cleaned (Gutenberg; the frame's `itemsCleaned`). */
  itemsCleaned: number;
  bytesDone: number;
  bytesPerSec: number;
  itemsPerSec: number;
  activeWorkers: number;
  /** The job's bandwidth cap in force, bytes per second, or null (none). */
  rateCap: number | null;
  /** ms since the job started (from the last frame). */
  elapsedMs: number;
  /** Estimated ms left, or null when unknown. */
  etaMs: number | null;
  /** p10–p90 band of the ETA from the per-item time spread (null until items have finished). */
  etaBand: EtaBand | null;
  /** Failures by stable error code (exact; the list below is bounded). */
  errorCounts: Record<string, number>;
  retries: number;
  workers: WorkerSnapshot[];
  failures: ItemFailure[];
  warnings: string[];
  /** `--workers auto`: each change of N and why (bounded). */
  workerDecisions: AutoWorkersDecision[];
  summary: JobSummary | null;
  lastSeq: number;
  /** Frames received with a gap in `seq` (frames are cumulative, so nothing is lost). */
  gaps: number;
  /**
   * ms into the job when this page took it up (reloaded, or opened beside a job another page
   * started): no span before it reached this page, so the timeline marks [0, this) as not seen
   * rather than showing it as idle. 0 for a job followed from its start, and for a replay.
   */
  seenFromMs: number;
  /**
   * How each lane seen exiting (state 'stopped') ended: 'retired' when the pool's active workers fell
   * by then (a refused connection, or auto lowering its count: the worker may leave frames later, at
   * the end of its item), else 'done' (it ran out of work). Absent: not seen exiting (taken up mid-job).
   */
  laneEnds: Record<number, 'done' | 'retired'>;
  /** Drops of the active worker count not yet matched by a lane exiting. */
  leaving: number;
  /** Gutenberg: books downloaded and handed to cleaning so far (`downloadedFor`); null: not known. */
  downloaded: number | null;
}

export const initialHeader: RunHeader = {
  jobId: null, kind: null, status: 'idle', replay: false, strategy: null, workerCount: 0, outDir: null, source: null,
  itemsTotal: null, itemsDone: 0, itemsFailed: 0, itemsSkipped: 0, itemsCleaned: 0, bytesDone: 0, bytesPerSec: 0, itemsPerSec: 0,
  activeWorkers: 0, rateCap: null, elapsedMs: 0, etaMs: null, etaBand: null, errorCounts: {}, retries: 0, workers: [], failures: [], warnings: [], workerDecisions: [], summary: null,
  lastSeq: -1, gaps: 0, seenFromMs: 0, laneEnds: {}, leaving: 0, downloaded: null,
};

/** Column buffers for uPlot: t in seconds since start. */
export interface SeriesBuffers {
  t: number[];
  bytesPerSec: number[];
  itemsPerSec: number[];
  cleanBytesPerSec: number[];
  itemsCleanedPerSec: number[];
  /** The bandwidth cap at each point (null: none), drawn over the download rate. */
  rateCap: Array<number | null>;
}

export interface OpenSegment {
  state: WorkerState;
  item: string | null;
  start: number;
}

export interface RunBuffers {
  series: SeriesBuffers;
  spans: TimelineSpan[];
  /** The segment each lane is in now (not yet closed by the engine), keyed by worker id. */
  open: Map<number, OpenSegment>;
  /** Last sampled time, ms since start. */
  now: number;
  /**
   * The scrubber's cumulative counters over the last second (oldest first): the clean rate is taken
   * over that window, as the engine takes the download rate (`bytesPerSec`), so the two lines on
   * one axis compare. Per frame (100 ms) the clean rate came in bursts (a book cleaned whole in one
   * frame): 3.8 MB/s spikes over a 256 KB/s download, whose line sat flat at the bottom.
   */
  cleanWindow: Array<{ t: number; bytes: number; items: number }>;
  droppedSpans: number;
  /** Per-state span durations (phase quantiles panel). */
  phases: PhaseStats;
  /** Item boundaries per lane: per-item times (ETA band) and items in flight (stragglers). */
  items: ItemTracker;
}

export function emptyBuffers(): RunBuffers {
  return {
    series: { t: [], bytesPerSec: [], itemsPerSec: [], cleanBytesPerSec: [], itemsCleanedPerSec: [], rateCap: [] },
    spans: [],
    open: new Map(),
    now: 0,
    cleanWindow: [],
    droppedSpans: 0,
    phases: new PhaseStats(),
    items: new ItemTracker(),
  };
}

/** The clean rate's window, ms: the engine's download rate is over the last second too (core/job-telemetry.ts). */
export const CLEAN_RATE_WINDOW_MS = 1000;

function trimFront(arr: unknown[], max: number): void {
  if (arr.length > max) arr.splice(0, arr.length - max);
}

/** Appends one frame to the buffers (mutates them; they live outside React state). */
export function appendFrameToBuffers(b: RunBuffers, f: TelemetryFrame): void {
  const s = b.series;
  const lastT = s.t.length ? s.t[s.t.length - 1]! : -Infinity;
  const tSec = f.t / 1000;
  if (tSec > lastT) {
    let cleanRate = 0;
    let cleanItemsRate = 0;
    const w = b.cleanWindow;
    // Keep one sample at or before the window's start, so the rate spans the whole second.
    while (w.length > 1 && w[1]!.t <= f.t - CLEAN_RATE_WINDOW_MS) w.shift();
    const first = w[0];
    if (first && f.t > first.t) {
      const dt = (f.t - first.t) / 1000;
      cleanRate = Math.max(0, (f.cleanBytes - first.bytes) / dt);
      cleanItemsRate = Math.max(0, (f.itemsCleaned - first.items) / dt);
    }
    w.push({ t: f.t, bytes: f.cleanBytes, items: f.itemsCleaned });
    s.t.push(tSec);
    s.bytesPerSec.push(f.bytesPerSec);
    s.itemsPerSec.push(f.itemsPerSec);
    s.cleanBytesPerSec.push(cleanRate);
    s.itemsCleanedPerSec.push(cleanItemsRate);
    s.rateCap.push(f.rateCap ?? null);
    if (s.t.length > MAX_SERIES_POINTS) for (const k of Object.keys(s) as Array<keyof SeriesBuffers>) trimFront(s[k], MAX_SERIES_POINTS);
  }
  if (f.spans.length) {
    for (const span of f.spans) {
      b.spans.push(span);
      b.phases.add(span);
      b.items.onSpan(span);
    }
    if (b.spans.length > MAX_SPANS) {
      b.droppedSpans += b.spans.length - MAX_SPANS;
      trimFront(b.spans, MAX_SPANS);
    }
  }
  for (const w of f.workers) {
    const open = b.open.get(w.id);
    if (!open || open.state !== w.state || open.item !== w.item) {
      // The engine closes the previous span; the open one starts at the latest closed span's end if known.
      let start = f.t;
      for (let i = f.spans.length - 1; i >= 0; i--) {
        const sp = f.spans[i]!;
        if (sp.worker === w.id) {
          start = sp.end;
          break;
        }
      }
      b.open.set(w.id, { state: w.state, item: w.item, start: Math.min(start, f.t) });
    }
    b.items.onWorker(w, b.open.get(w.id)!.start, f.t);
  }
  b.now = f.t;
}

/** ETA from the item rate over the run so far (smoother than the 1 s rate). */
export function estimateEta(f: Pick<TelemetryFrame, 't' | 'itemsTotal' | 'itemsDone' | 'itemsFailed' | 'itemsSkipped'>): number | null {
  if (f.itemsTotal === null) return null;
  const finished = f.itemsDone + f.itemsFailed + f.itemsSkipped;
  const left = f.itemsTotal - finished;
  if (left <= 0) return 0;
  if (finished === 0 || f.t <= 0) return null;
  return (left * f.t) / finished;
}

/**
 * Books downloaded and handed to cleaning so far (the lanes' items past their download), or null
 * where a lane's item is not one of the job's items (mail: a folder range) or the run has ended. A
 * book counts done only once cleaned and on disk, so `itemsDone` can stay 0 while the bytes come in
 * (the first scrubs of a run can take seconds); this is how far the downloads are.
 */
export function downloadedFor(h: Pick<RunHeader, 'kind' | 'status'>, b: RunBuffers): number | null {
  if (h.kind !== 'gutenberg' || h.status === 'finished') return null;
  // With the books lanes hold all in now (waiting to clean): counted handed on once they move on.
  return b.items.handedOn + b.items.pastDownloadNow;
}

/** The header's ETA band from the buffers' per-item times (call after the frames are appended). */
export function etaBandFor(h: RunHeader, b: RunBuffers): EtaBand | null {
  if (h.status === 'finished' || h.itemsTotal === null) return null;
  const left = h.itemsTotal - (h.itemsDone + h.itemsFailed + h.itemsSkipped);
  const s = b.items.items;
  return etaBand({ eta: h.etaMs, left, n: s.count, meanMs: s.mean, sdMs: s.sd });
}

function countCode(counts: Record<string, number>, failures: readonly ItemFailure[]): Record<string, number> {
  if (failures.length === 0) return counts;
  const next = { ...counts };
  for (const f of failures) next[f.error.code] = (next[f.error.code] ?? 0) + 1;
  return next;
}

/**
 * The lanes that exited in this frame, and why (`RunHeader.laneEnds`). A lane not in the previous
 * frame counts as working when this page followed the job from its start; taken up mid-job, a lane
 * already stopped is left unknown.
 */
function laneEnds(h: RunHeader, f: TelemetryFrame): Pick<RunHeader, 'laneEnds' | 'leaving'> {
  const followed = h.jobId !== null && h.seenFromMs === 0;
  if (!followed && h.lastSeq < 0) return { laneEnds: h.laneEnds, leaving: h.leaving };
  // The first frame sets the count (auto starts below the lane count): only later changes are drops.
  const before = h.lastSeq >= 0 ? h.activeWorkers : f.activeWorkers;
  let leaving = f.activeWorkers < before ? h.leaving + (before - f.activeWorkers) : Math.max(0, h.leaving - Math.max(0, f.activeWorkers - before));
  let ends = h.laneEnds;
  for (const w of f.workers) {
    const was = h.workers.find((x) => x.id === w.id)?.state;
    if (w.state === 'stopped' && was !== 'stopped') {
      ends = { ...ends, [w.id]: leaving > 0 ? 'retired' : 'done' };
      if (leaving > 0) leaving--;
    } else if (w.state !== 'stopped' && ends[w.id] !== undefined) {
      // Started again (auto adds workers at the lowest free lane).
      ends = { ...ends };
      delete ends[w.id];
    }
  }
  return { laneEnds: ends, leaving };
}

/** Applies a batch of events to the header (pure). Frames in the batch collapse to the last one. */
export function reduceHeader(h: RunHeader, events: readonly JobEvent[]): RunHeader {
  let next = h;
  for (const e of events) {
    if (next.jobId !== null && e.jobId !== next.jobId && e.kind !== 'job:started') continue;
    switch (e.kind) {
      case 'job:started':
        next = {
          ...initialHeader,
          jobId: e.jobId,
          kind: e.jobKind,
          status: 'running',
          strategy: e.strategy,
          workerCount: e.workers,
          outDir: e.outDir,
          itemsTotal: e.itemsTotal,
        };
        break;
      case 'job:frame': {
        const f = e.frame;
        const ends = laneEnds(next, f);
        next = {
          ...next,
          jobId: e.jobId,
          status: next.status === 'finished' ? 'finished' : f.paused ? 'paused' : 'running',
          itemsTotal: f.itemsTotal,
          itemsDone: f.itemsDone,
          itemsFailed: f.itemsFailed,
          itemsSkipped: f.itemsSkipped,
          itemsCleaned: f.itemsCleaned,
          bytesDone: f.bytesDone,
          bytesPerSec: f.bytesPerSec,
          itemsPerSec: f.itemsPerSec,
          activeWorkers: f.activeWorkers,
          rateCap: f.rateCap ?? null,
          elapsedMs: f.t,
          etaMs: estimateEta(f),
          retries: f.workers.reduce((a, w) => a + w.retries, 0),
          workers: f.workers,
          workerCount: Math.max(next.workerCount, f.workers.length),
          gaps: next.lastSeq >= 0 && f.seq > next.lastSeq + 1 ? next.gaps + 1 : next.gaps,
          // A frame of a job this view did not see start (no header yet): taken up mid-job.
          seenFromMs: next.jobId === null && f.seq > 0 ? f.t : next.seenFromMs,
          lastSeq: f.seq,
          ...ends,
        };
        break;
      }
      case 'job:item-failed':
        next = { ...next, failures: [...next.failures, e.failure].slice(-MAX_FAILURES), errorCounts: countCode(next.errorCounts, [e.failure]) };
        break;
      case 'job:warning':
        next = { ...next, warnings: [...next.warnings, e.error ? `${e.error.code}: ${e.message}` : e.message].slice(-50) };
        break;
      case 'job:workers':
        next = { ...next, workerDecisions: [...next.workerDecisions, e.decision].slice(-50) };
        break;
      case 'job:finished': {
        const s = e.summary;
        const known = new Set(next.failures.map((x) => `${x.item}|${x.error.code}`));
        const added = s.failures.filter((x) => !known.has(`${x.item}|${x.error.code}`));
        const failures = [...next.failures, ...added].slice(-MAX_FAILURES);
        next = {
          ...next,
          jobId: e.jobId,
          kind: s.kind,
          status: 'finished',
          strategy: s.strategy,
          outDir: s.outDir,
          itemsTotal: s.itemsTotal,
          itemsDone: s.itemsDone,
          itemsFailed: s.itemsFailed,
          itemsSkipped: s.itemsSkipped,
          bytesDone: s.bytes,
          // The whole run's rate and no worker busy: the last frame's one-second rate and 4/4 read as still going.
          bytesPerSec: s.throughput,
          activeWorkers: 0,
          elapsedMs: s.wallMs,
          etaMs: 0,
          etaBand: null,
          failures,
          errorCounts: countCode(next.errorCounts, added),
          summary: s,
        };
        break;
      }
      default: {
        const never: never = e;
        return never;
      }
    }
  }
  return next;
}
