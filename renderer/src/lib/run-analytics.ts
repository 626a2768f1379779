/**
 * The live dashboard's derived statistics (dashboard.md §5), pure: no React, no DOM. Everything is
 * fed from the existing telemetry frames (closed timeline spans and worker snapshots) and every
 * buffer is bounded, whatever the length of the run.
 *
 * - `DurationStats`: exact count / mean / variance / min / max (Welford) plus a bounded reservoir
 *   of recent values for quantiles.
 * - `PhaseStats`: one `DurationStats` per worker state (connecting, listing, downloading, …).
 * - `ItemTracker`: item boundaries from the spans of each lane → per-item times and the items in
 *   flight (for stragglers and the ETA band).
 * - `etaBand`, `rankStragglers`, `errorCounts`, `chromeTrace`: what the panels show.
 */
import { WORKER_STATES, type ItemFailure, type TimelineSpan, type WorkerSnapshot, type WorkerState } from '../../../shared/events';
import { ERROR_CODES, type ErrorContext, type FanoutErrorCode } from '../../../shared/errors';
import { median } from '../../../shared/median';

/** Quantile of an ascending array, linear interpolation between closest ranks (R's type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (n === 1) return sorted[0]!;
  const pos = Math.min(1, Math.max(0, q)) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface QuantileSummary {
  /** Values seen (all of them, not only the sample kept). */
  count: number;
  min: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  max: number;
}

/** Values kept per reservoir; quantiles come from the latest ones, min/max/count are exact. */
export const SAMPLE_CAP = 2048;

/** Running duration statistics with a bounded sample (a ring of the latest `cap` values). */
export class DurationStats {
  count = 0;
  mean = 0;
  #m2 = 0;
  min = Infinity;
  max = -Infinity;
  readonly #ring: Float64Array;
  #next = 0;

  constructor(readonly cap = SAMPLE_CAP) {
    this.#ring = new Float64Array(cap);
  }

  add(x: number): void {
    if (!Number.isFinite(x) || x < 0) return;
    this.count++;
    const d = x - this.mean;
    this.mean += d / this.count;
    this.#m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.#ring[this.#next] = x;
    this.#next = (this.#next + 1) % this.cap;
  }

  /** Sample standard deviation (0 with fewer than two values). */
  get sd(): number {
    return this.count > 1 ? Math.sqrt(this.#m2 / (this.count - 1)) : 0;
  }

  /** The kept values, ascending. */
  sorted(): Float64Array {
    return this.#ring.slice(0, Math.min(this.count, this.cap)).sort();
  }

  summary(): QuantileSummary | null {
    if (this.count === 0) return null;
    const s = this.sorted();
    return { count: this.count, min: this.min, p25: quantileSorted(s, 0.25), p50: quantileSorted(s, 0.5), p75: quantileSorted(s, 0.75), p90: quantileSorted(s, 0.9), max: this.max };
  }
}

export interface PhaseRow extends QuantileSummary {
  state: WorkerState;
}

/** Per-state span durations (ms), for the phase quantiles table. */
export class PhaseStats {
  readonly #by = new Map<WorkerState, DurationStats>();

  add(span: Pick<TimelineSpan, 'state' | 'start' | 'end'>): void {
    let s = this.#by.get(span.state);
    if (!s) this.#by.set(span.state, (s = new DurationStats()));
    s.add(span.end - span.start);
  }

  /** One row per state seen, in the engine's state order. */
  rows(): PhaseRow[] {
    const out: PhaseRow[] = [];
    for (const state of WORKER_STATES) {
      const sum = this.#by.get(state)?.summary();
      if (sum) out.push({ state, ...sum });
    }
    return out;
  }
}

/**
 * Whether two lane labels name the same item. The pool labels an item "1342 Pride and Prejudice"
 * while the mirror session says "1342": one label extending the other at a word boundary is the
 * same item. ("INBOX 1-500" and "INBOX 501-1000" stay different.)
 */
export function sameItem(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b} `) || b.startsWith(`${a} `);
}

export interface InFlightItem {
  worker: number;
  /** The most descriptive label seen for the item. */
  item: string;
  state: WorkerState;
  /** ms since the job started when the item's first phase began. */
  start: number;
  elapsedMs: number;
  /** Retries of this item so far (its `retrying` phases). */
  retries: number;
  /** Bytes of the item received so far (the lane's `itemBytes`); 0 or absent: not moving bytes yet. */
  bytes?: number;
  /**
   * The lane's rate on this item, bytes per ms, over the last `RATE_WINDOW_MS` of it (no earlier than
   * its first byte). Absent: no byte of the item seen yet.
   */
  rate?: number;
  /** How many ms `rate` was measured over. */
  rateMs?: number;
}

/** The lane's received bytes (`bytesDone`, never reset) at a sample time. */
interface ByteMark {
  t: number;
  bytes: number;
}

interface CurrentItem {
  item: string;
  start: number;
  end: number;
  retries: number;
  state: WorkerState;
  /** In the 'retrying' state now (not yet closed by a span). */
  retryingNow: boolean;
  /** The lane's bytes of this item so far (last sample). */
  bytes: number;
  /**
   * The lane's byte count at its samples since the item's first byte, trimmed to the rate window
   * (the first mark is the sample before the first byte). Empty: no byte yet.
   */
  marks: ByteMark[];
  /** Reached a phase past the connection's set-up: downloading, cleaning or writing. */
  moved: boolean;
  /** Reached a phase past its download (waiting to clean, cleaning): downloaded, whatever it shows next. */
  passed: boolean;
}

/** The phases in which an item is being fetched or handed on (not connecting, listing or waiting for the server). */
const MOVING: ReadonlySet<WorkerState> = new Set(['downloading', 'waiting to clean', 'cleaning', 'writing']);

/** The phases of a book on its lane after its download (not 'writing': a mail lane's, mid-FETCH). */
const PAST_DOWNLOAD: ReadonlySet<WorkerState> = new Set(['waiting to clean', 'cleaning']);

/**
 * Phases in which the lane is not what is late: its book is downloaded and waits for room in the
 * scrub stage (cleaning is the bottleneck), or a mail lane's FETCH waits for the job's writes in
 * flight ('writing': the disk is). Not ranked among the stragglers.
 */
const HELD_BY_A_LATER_STAGE: ReadonlySet<WorkerState> = new Set(['waiting to clean', 'writing']);

/**
 * The rate of a transfer is measured over this much of its recent past (ms): a connection slower
 * than its peers now, not on average since the item began (its connect and list time, or a retry,
 * are not slowness).
 */
export const RATE_WINDOW_MS = 3000;

const NOT_WORKING: ReadonlySet<WorkerState> = new Set(['idle', 'stopped', 'paused']);

/**
 * Finds item boundaries on each lane: consecutive spans of the same item form one item; a span of
 * another item, or the lane going idle, ends it. Finished items' times (first start → last end,
 * retries and backoff included) go into `items`.
 */
export class ItemTracker {
  readonly items = new DurationStats();
  /**
   * Items a lane moved on from after downloading them (not failed there): for a Gutenberg job, books
   * downloaded and handed to cleaning, which the job counts done only once cleaned and on disk.
   */
  handedOn = 0;
  readonly #cur = new Map<number, CurrentItem>();
  /** Each lane's previous sample of its received bytes (whatever the item). */
  readonly #last = new Map<number, ByteMark>();

  #finish(worker: number): void {
    const c = this.#cur.get(worker);
    if (!c) return;
    this.#cur.delete(worker);
    if (c.end > c.start) this.items.add(c.end - c.start);
    if (c.moved && c.state !== 'failed') this.handedOn++;
  }

  /** A closed span (in the order the engine sent them). */
  onSpan(span: TimelineSpan): void {
    if (span.item === null) return;
    let c = this.#cur.get(span.worker);
    if (!c || !sameItem(c.item, span.item)) {
      this.#finish(span.worker);
      c = { item: span.item, start: span.start, end: span.end, retries: 0, state: span.state, retryingNow: false, bytes: 0, marks: [], moved: false, passed: false };
      this.#cur.set(span.worker, c);
    } else {
      c.start = Math.min(c.start, span.start);
      c.end = Math.max(c.end, span.end);
      if (span.item.length > c.item.length) c.item = span.item;
    }
    // The span closed on its last phase: a failed one ends the item failed, a later one does not.
    if (span.end >= c.end) c.state = span.state;
    if (MOVING.has(span.state)) c.moved = true;
    if (PAST_DOWNLOAD.has(span.state)) c.passed = true;
    if (span.state === 'retrying') {
      c.retries++;
      c.retryingNow = false;
    }
  }

  /**
   * A lane's sampled state, after the frame's spans; `openStart` is when its current phase began, `t`
   * the frame's time (ms since the job started). The rate is taken from the lane's `bytesDone`, which
   * a retry does not reset (its `itemBytes` starts again at 0).
   */
  onWorker(
    w: Pick<WorkerSnapshot, 'id' | 'state' | 'item'> & Partial<Pick<WorkerSnapshot, 'itemBytes' | 'bytesDone'>>,
    openStart: number,
    t = openStart,
  ): void {
    const prev = this.#last.get(w.id);
    const lane = w.bytesDone;
    if (lane !== undefined) this.#last.set(w.id, { t, bytes: lane });
    let c = this.#cur.get(w.id);
    if (w.item === null || NOT_WORKING.has(w.state)) {
      this.#finish(w.id);
      return;
    }
    if (!c || !sameItem(c.item, w.item)) {
      this.#finish(w.id);
      c = { item: w.item, start: openStart, end: openStart, retries: 0, state: w.state, retryingNow: w.state === 'retrying', bytes: w.itemBytes ?? 0, marks: [], moved: MOVING.has(w.state), passed: PAST_DOWNLOAD.has(w.state) };
      this.#cur.set(w.id, c);
    } else {
      if (w.item.length > c.item.length) c.item = w.item;
      c.state = w.state;
      c.retryingNow = w.state === 'retrying';
      c.bytes = w.itemBytes ?? 0;
      if (MOVING.has(w.state)) c.moved = true;
      if (PAST_DOWNLOAD.has(w.state)) c.passed = true;
    }
    if (lane === undefined || prev === undefined) return;
    if (c.marks.length === 0) {
      // The first byte of the item came after the previous sample (and after the item began).
      if (lane > prev.bytes) c.marks.push({ t: Math.max(prev.t, Math.min(c.start, t)), bytes: prev.bytes }, { t, bytes: lane });
      return;
    }
    c.marks.push({ t, bytes: lane });
    // Keep one mark at or before the window's start.
    while (c.marks.length > 2 && c.marks[1]!.t <= t - RATE_WINDOW_MS) c.marks.shift();
  }

  /**
   * Items lanes hold now that went past their download (waited for room in the scrub stage, or were
   * handed to it; shown all in again after a wait, they still count): downloaded, not yet in
   * `handedOn` (they are once the lane moves on).
   */
  get pastDownloadNow(): number {
    let n = 0;
    for (const c of this.#cur.values()) if (c.passed && c.state !== 'failed') n++;
    return n;
  }

  /** Items being worked on now, with their elapsed time at `now` (ms since the job started). */
  inFlight(now: number): InFlightItem[] {
    const out: InFlightItem[] = [];
    for (const [worker, c] of this.#cur) {
      if (NOT_WORKING.has(c.state) || c.state === 'failed') continue;
      const it: InFlightItem = { worker, item: c.item, state: c.state, start: c.start, elapsedMs: Math.max(0, now - c.start), retries: c.retries + (c.retryingNow ? 1 : 0), bytes: c.bytes };
      const first = c.marks[0];
      const last = c.marks[c.marks.length - 1];
      if (first && last && last.t > first.t) {
        it.rate = (last.bytes - first.bytes) / (last.t - first.t);
        it.rateMs = last.t - first.t;
      }
      out.push(it);
    }
    return out;
  }

  /** Forgets the items in flight (the run ended). */
  settle(): void {
    for (const w of [...this.#cur.keys()]) this.#finish(w);
  }
}

/** z of the 90th percentile of a standard normal (p10 = −z). */
export const Z90 = 1.2815515655446004;

export interface EtaBand {
  /** The point estimate, ms. */
  eta: number;
  /** 10th and 90th percentiles, ms. */
  p10: number;
  p90: number;
}

/**
 * The ETA's p10–p90 band from the spread of per-item times.
 *
 * The time left is the sum of `left` item times shared by the workers, so its relative standard
 * deviation is cv·√(1/left + 1/n): the items' own spread (shrinking as 1/√left, independent items)
 * plus the uncertainty of the mean item time estimated from `n` finished items (cv = sd/mean).
 * The band is log-normal around `eta` (never negative, longer on the slow side). Null until three
 * items have finished.
 */
export function etaBand(opts: { eta: number | null; left: number; n: number; meanMs: number; sdMs: number }): EtaBand | null {
  const { eta, left, n, meanMs, sdMs } = opts;
  if (eta === null || !Number.isFinite(eta)) return null;
  if (left <= 0) return { eta: 0, p10: 0, p90: 0 };
  if (n < 3 || !(meanMs > 0)) return null;
  const cv = sdMs / meanMs;
  const rel = cv * Math.sqrt(1 / left + 1 / n);
  const s = Math.sqrt(Math.log(1 + rel * rel));
  return { eta, p10: eta * Math.exp(-Z90 * s), p90: eta * Math.exp(Z90 * s) };
}

export interface Straggler extends InFlightItem {
  /**
   * How late. Basis 'rate': the median rate of the transfers in flight over this one's, both over
   * their recent past (3: three times slower than the others now; Infinity: no byte in that window).
   * Basis 'time': elapsed ÷ the median item time. Null until an item has finished (and no peers to
   * compare a transfer with).
   */
  ratio: number | null;
  /** What `ratio` compares: the transfers' rates in flight, or the finished items' times. */
  basis: 'rate' | 'time' | null;
}

/** A transfer's rate measured over at least this long (ms) means something. */
const MIN_RATE_MS = 250;

/**
 * In-flight items ranked by lateness, in two groups that are never sorted on one scale: first the
 * transfers moving bytes, each compared with the others in flight (the median of their rates over
 * its own, each over its recent past: `RATE_WINDOW_MS`, from its first byte), then every other item
 * by elapsed ÷ the median item time (by elapsed time alone while no item has finished yet).
 * Why two: items differ in size (a mail lane's range of 250 messages against single messages that
 * finished), so a lane waiting for the first byte of its range reads 400× the median item while a
 * transfer three times slower than its peers is the one to look at. A lone transfer, or one whose
 * rate is not measured yet, goes with the time group, unless no byte of it came over a whole window
 * (stalled: that needs no peer). Within a group: latest first; ties keep the lane order. A lane
 * whose book waits for room in the scrub stage ('waiting to clean'), or whose messages wait for the
 * job's writes ('writing'), is left out: cleaning or the disk is late, not it.
 */
export function rankStragglers(all: readonly InFlightItem[], medianMs: number | null, limit = 8): Straggler[] {
  const m = medianMs !== null && medianMs > 0 ? medianMs : null;
  const ranked = all.filter((it) => !HELD_BY_A_LATER_STAGE.has(it.state));
  const moving = ranked.filter((it) => it.state === 'downloading' && it.rate !== undefined && (it.rateMs ?? 0) >= MIN_RATE_MS);
  const medianRate = moving.length >= 2 ? median(moving.map((it) => it.rate!)) : null;
  const slower = (rate: number) => (rate > 0 ? medianRate! / rate : medianRate! > 0 ? Infinity : 1);
  const byLateness = (a: Straggler, b: Straggler) => (b.ratio ?? -1) - (a.ratio ?? -1) || b.elapsedMs - a.elapsedMs || a.worker - b.worker;
  const byRate: Straggler[] = [];
  const byTime: Straggler[] = [];
  // No byte over a whole window needs no peer to be told (a lone transfer otherwise goes by time).
  const stalled = (it: InFlightItem) => it.rate === 0 && (it.rateMs ?? 0) >= RATE_WINDOW_MS;
  for (const it of ranked) {
    if (medianRate !== null && moving.includes(it)) byRate.push({ ...it, ratio: slower(it.rate!), basis: 'rate' });
    else if (moving.includes(it) && stalled(it)) byRate.push({ ...it, ratio: Infinity, basis: 'rate' });
    else byTime.push({ ...it, ratio: m === null ? null : it.elapsedMs / m, basis: m === null ? null : 'time' });
  }
  return [...byRate.sort(byLateness), ...byTime.sort(byLateness)].slice(0, limit);
}

export interface ErrorCount {
  code: FanoutErrorCode;
  count: number;
  retryable: boolean;
}

/** Failures counted by stable code, most frequent first. */
export function errorCounts(counts: Readonly<Record<string, number>>): ErrorCount[] {
  return Object.entries(counts)
    .filter(([code, n]) => n > 0 && Object.hasOwn(ERROR_CODES, code))
    .map(([code, count]) => ({ code: code as FanoutErrorCode, count, retryable: ERROR_CODES[code as FanoutErrorCode].retryable }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

/** Where a failure happened, as "ebook 1342 · host · path" (whatever the context has). */
export function failureWhere(f: ItemFailure): string {
  const c: ErrorContext = f.error.context ?? {};
  const parts: string[] = [];
  if (c.ebook !== undefined) parts.push(`ebook ${c.ebook}`);
  if (c.folder !== undefined) parts.push(`folder ${c.folder}`);
  if (c.uid !== undefined) parts.push(`uid ${c.uid}`);
  if (c.host) parts.push(c.host);
  if (c.path) parts.push(c.path);
  if (c.file) parts.push(c.line !== undefined ? `${c.file}:${c.line}` : c.file);
  return parts.join(' · ');
}

// ---------------------------------------------------------------------------------------------
// Chrome Trace Event format (Perfetto, chrome://tracing)

export type TraceEvent =
  | { name: string; cat: string; ph: 'X'; ts: number; dur: number; pid: number; tid: number; args: Record<string, unknown> }
  | { name: string; ph: 'M'; pid: number; tid: number; args: Record<string, unknown> }
  | { name: string; ph: 'C'; ts: number; pid: number; args: Record<string, number> }
  | { name: string; cat: string; ph: 'i'; s: 't' | 'p' | 'g'; ts: number; pid: number; tid: number; args: Record<string, unknown> };

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string | number>;
}

export interface TraceInput {
  jobId: string;
  kind: string;
  workerCount: number;
  spans: readonly TimelineSpan[];
  /** Phases still open at `now` (exported as ending at `now`, with `open: true`). */
  open: ReadonlyMap<number, { state: WorkerState; item: string | null; start: number }>;
  /** ms since the job started. */
  now: number;
  /** Throughput samples (t in seconds), exported as counter tracks. */
  series?: { t: readonly number[]; bytesPerSec: readonly number[]; itemsPerSec: readonly number[] };
  droppedSpans?: number;
}

const PID = 1;
const us = (ms: number) => Math.round(ms * 1000);

/**
 * The run's spans as Chrome Trace Event JSON: one process (the pool), one thread per worker lane
 * (`tid` = lane), one complete event (`ph: 'X'`, µs) per phase, with the item in `args`; idle is
 * white space. Failed phases are also marked with an instant event; throughput is a counter track.
 */
export function chromeTrace(input: TraceInput): ChromeTrace {
  const ev: TraceEvent[] = [];
  ev.push({ name: 'process_name', ph: 'M', pid: PID, tid: 0, args: { name: `Fanout ${input.kind} ${input.jobId}` } });
  const lanes = new Set<number>();
  for (let w = 0; w < input.workerCount; w++) lanes.add(w);
  for (const s of input.spans) lanes.add(s.worker);
  for (const w of input.open.keys()) lanes.add(w);
  for (const w of [...lanes].sort((a, b) => a - b)) {
    ev.push({ name: 'thread_name', ph: 'M', pid: PID, tid: w, args: { name: `worker ${w}` } });
    ev.push({ name: 'thread_sort_index', ph: 'M', pid: PID, tid: w, args: { sort_index: w } });
  }
  const body: Array<Exclude<TraceEvent, { ph: 'M' }>> = [];
  const phase = (s: { worker: number; state: WorkerState; item: string | null; start: number; end: number }, open: boolean) => {
    body.push({ name: s.state, cat: 'phase', ph: 'X', ts: us(s.start), dur: Math.max(0, us(s.end) - us(s.start)), pid: PID, tid: s.worker, args: open ? { item: s.item, open: true } : { item: s.item } });
    if (s.state === 'failed') body.push({ name: `failed ${s.item ?? ''}`.trim(), cat: 'error', ph: 'i', s: 't', ts: us(s.start), pid: PID, tid: s.worker, args: { item: s.item } });
  };
  for (const s of input.spans) phase(s, false);
  for (const [worker, o] of input.open) {
    if (o.state === 'idle' || o.state === 'stopped') continue;
    phase({ worker, state: o.state, item: o.item, start: o.start, end: Math.max(o.start, input.now) }, true);
  }
  if (input.series) {
    const { t, bytesPerSec, itemsPerSec } = input.series;
    for (let i = 0; i < t.length; i++) body.push({ name: 'throughput', ph: 'C', ts: us(t[i]! * 1000), pid: PID, args: { bytesPerSec: bytesPerSec[i]!, itemsPerSec: itemsPerSec[i]! } });
  }
  body.sort((a, b) => a.ts - b.ts);
  return {
    traceEvents: [...ev, ...body],
    displayTimeUnit: 'ms',
    otherData: { jobId: input.jobId, kind: input.kind, exportedBy: 'Fanout', droppedSpans: input.droppedSpans ?? 0 },
  };
}
