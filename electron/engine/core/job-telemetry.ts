import type { TelemetryFrame, TimelineSpan, WorkerSnapshot, WorkerState } from '../../../shared/events';
import type { WorkerProgress } from './worker-context';

/** Spans kept between two frames at most; past this the oldest are dropped (and counted). */
const MAX_PENDING_SPANS = 4000;
/** Throughput is measured over this window, ms. */
const RATE_WINDOW_MS = 1000;

/** States that count as busy for utilisation (idle, paused and stopped are white space). */
const IDLE_STATES: ReadonlySet<WorkerState> = new Set(['idle', 'paused', 'stopped']);

interface WorkerCounters extends WorkerSnapshot {
  /** ms since job start when the current state (or item) began. */
  since: number;
  /** What the lane's own work last set (`state`/`item` above are what it shows: this, or a hold). */
  live: { state: WorkerState; item: string | null };
  /** The live item's bytes so far and its expected total (what `itemBytes`/`itemTotal` show when live). */
  liveBytes: number;
  liveTotal: number | null;
  /** Items of this lane a later stage holds (`holdLane`), oldest first. */
  holds: Array<{ state: WorkerState; item: string | null }>;
}

/**
 * Whether the lane's own work is under way: anything but a download whose bytes are all in, a
 * hand-on ('cleaning', 'writing') or no work. A lane with a hold shows the hold when it is not.
 */
function liveWorking(w: WorkerCounters): boolean {
  switch (w.live.state) {
    case 'downloading':
      return w.liveTotal === null || w.liveBytes < w.liveTotal;
    case 'cleaning':
    case 'writing':
    case 'idle':
    case 'paused':
    case 'stopped':
      return false;
    default:
      return true;
  }
}

/**
 * The job's counters. Workers bump plain numbers through `WorkerProgress` (no event per chunk);
 * `frame()` samples them, and `start()` does so on a clock, about 10 times a second.
 */
export class JobTelemetry {
  readonly #t0 = performance.now();
  readonly #workers: WorkerCounters[] = [];
  #spans: TimelineSpan[] = [];
  #droppedSpans = 0;
  #seq = 0;
  #timer: NodeJS.Timeout | null = null;
  #rateSamples: Array<{ t: number; bytes: number; items: number }> = [];
  #activeWorkers: number;
  /** The job's bandwidth cap (bytes/s, null: none), when its bytes pass one (cappedBy). */
  #cap: (() => number | null) | null = null;
  /** The bytes the rate is measured on: bytesDone, but no faster than the cap lets them through. */
  #passed = 0;
  #passedAt = 0;

  itemsTotal: number | null;
  itemsDone = 0;
  itemsFailed = 0;
  itemsSkipped = 0;
  cleanBytes = 0;
  itemsCleaned = 0;
  paused = false;

  constructor(opts: { workers: number; itemsTotal?: number | null }) {
    this.itemsTotal = opts.itemsTotal ?? null;
    this.#activeWorkers = opts.workers;
    for (let id = 0; id < opts.workers; id++) {
      this.#workers.push({
        id, state: 'idle', item: null, itemBytes: 0, itemTotal: null, bytesDone: 0,
        itemsDone: 0, itemsFailed: 0, retries: 0, busyMs: 0, since: 0,
        live: { state: 'idle', item: null }, liveBytes: 0, liveTotal: null, holds: [],
      });
    }
  }

  /** ms since the job started. */
  now(): number {
    return performance.now() - this.#t0;
  }

  get workerCount(): number {
    return this.#workers.length;
  }

  get bytesDone(): number {
    let sum = 0;
    for (const w of this.#workers) sum += w.bytesDone;
    return sum;
  }

  get activeWorkers(): number {
    return this.#activeWorkers;
  }

  /** A worker was retired (the server refused its connection): the pool goes on with fewer. */
  retireWorker(): void {
    this.#activeWorkers = Math.max(0, this.#activeWorkers - 1);
  }

  /** `--workers auto` changed how many connections the job holds. */
  setActiveWorkers(n: number): void {
    this.#activeWorkers = n;
  }

  worker(id: number): WorkerProgress {
    const w = this.#workers[id];
    if (!w) throw new RangeError(`no worker ${id}`);
    /** The state this handle last set: a lane has two users in a mail job (worker 0 plans, then fetches). */
    let mine: { state: WorkerState; item: string | null } | null = null;
    return {
      setState: (state, item) => {
        // 'idle' ends this handle's own state only: once another user of the lane moved it on
        // (planning's end while worker 0 already fetches), its state is kept, not made white space.
        if (state === 'idle' && mine !== null && (w.live.state !== mine.state || w.live.item !== mine.item)) return;
        const nextItem = state === 'idle' || state === 'stopped' ? null : item === undefined ? w.live.item : item;
        if (nextItem !== w.live.item) {
          w.liveBytes = 0;
          w.liveTotal = null;
        }
        w.live = { state, item: nextItem };
        mine = w.live;
        this.#show(w);
      },
      setItemTotal: (total) => {
        w.liveTotal = total;
        this.#show(w);
      },
      addBytes: (n) => {
        w.liveBytes += n;
        w.bytesDone += n;
        // With a hold, the download's last bytes show it now.
        if (w.holds.length > 0) this.#show(w);
        else w.itemBytes = w.liveBytes;
      },
      resetItemBytes: () => {
        w.liveBytes = 0;
        this.#show(w);
      },
      countRetry: () => {
        w.retries += 1;
      },
    };
  }

  /**
   * A stage after the download holds an item of this lane: e.g. the scrub stage has no room for its
   * book, `waiting to clean`. The lane shows `state` while its own work is not under way (a download
   * whose bytes are all in, a hand-on), with its live item (`item` when it has none): a download still
   * moving bytes on the lane (a batch's next book) is shown instead until its bytes are in, and then
   * as waiting too (it is queued behind the held one). Returns the release (idempotent).
   */
  holdLane(workerId: number, state: WorkerState, item: string | null): () => void {
    const w = this.#workers[workerId];
    if (!w) return () => {};
    const hold = { state, item };
    w.holds.push(hold);
    this.#show(w);
    return () => {
      const i = w.holds.indexOf(hold);
      if (i < 0) return;
      w.holds.splice(i, 1);
      this.#show(w);
    };
  }

  itemDone(workerId: number, units = 1): void {
    this.itemsDone += units;
    const w = this.#workers[workerId];
    if (w) w.itemsDone += units;
  }

  itemFailed(workerId: number, units = 1): void {
    this.itemsFailed += units;
    const w = this.#workers[workerId];
    if (w) w.itemsFailed += units;
  }

  addSkipped(units = 1): void {
    this.itemsSkipped += units;
  }

  addClean(bytes: number): void {
    this.cleanBytes += bytes;
    this.itemsCleaned += 1;
  }

  /**
   * The job's bytes pass this bandwidth cap (`--limit-rate`, changeable live). The cap lets a
   * connection's bytes through a socket read at a time and then holds the next until the bucket has
   * repaid them (net/bandwidth.ts): bytes are counted in bursts seconds apart at a low cap (64 KiB
   * and more at 32 KiB/s), and the rate over a 1 s window read 0 B/s between them while the job
   * moved at its cap. The rate is measured on the bytes as the cap passes them on: counted bytes,
   * but no more than the cap allows since the last frame (`bytesDone` stays the bytes received).
   */
  cappedBy(cap: () => number | null): void {
    this.#cap = cap;
  }

  /** Per-worker share of the elapsed time spent busy, 0..1. */
  busyShares(): number[] {
    const t = this.now();
    return this.#workers.map((w) => (t > 0 ? Math.min(1, this.#busyMsAt(w, t) / t) : 0));
  }

  frame(): TelemetryFrame {
    const t = this.now();
    const bytesDone = this.bytesDone;
    const doneUnits = this.itemsDone + this.itemsFailed;
    const cap = this.#cap?.() ?? null;
    this.#passed = cap === null ? bytesDone : Math.min(bytesDone, this.#passed + (cap * Math.max(0, t - this.#passedAt)) / 1000);
    this.#passedAt = t;
    this.#rateSamples.push({ t, bytes: this.#passed, items: doneUnits });
    while (this.#rateSamples.length > 2 && this.#rateSamples[0]!.t < t - RATE_WINDOW_MS) this.#rateSamples.shift();
    const first = this.#rateSamples[0]!;
    const dt = (t - first.t) / 1000;
    const spans = this.#spans;
    this.#spans = [];
    return {
      seq: this.#seq++,
      t,
      itemsTotal: this.itemsTotal,
      itemsDone: this.itemsDone,
      itemsFailed: this.itemsFailed,
      itemsSkipped: this.itemsSkipped,
      bytesDone,
      cleanBytes: this.cleanBytes,
      itemsCleaned: this.itemsCleaned,
      bytesPerSec: dt > 0 ? (this.#passed - first.bytes) / dt : 0,
      itemsPerSec: dt > 0 ? (doneUnits - first.items) / dt : 0,
      activeWorkers: this.#activeWorkers,
      paused: this.paused,
      workers: this.#workers.map((w) => ({
        id: w.id, state: w.state, item: w.item, itemBytes: w.itemBytes, itemTotal: w.itemTotal,
        bytesDone: w.bytesDone, itemsDone: w.itemsDone, itemsFailed: w.itemsFailed, retries: w.retries,
        busyMs: Math.round(this.#busyMsAt(w, t)),
      })),
      spans,
    };
  }

  /** Spans dropped because no frame was taken for a long time (a consumer that stalls). */
  get droppedSpans(): number {
    return this.#droppedSpans;
  }

  /** Emits a frame every `intervalMs` until `stop()`. */
  start(onFrame: (frame: TelemetryFrame) => void, intervalMs = 100): void {
    this.stop();
    this.#timer = setInterval(() => onFrame(this.frame()), intervalMs);
    this.#timer.unref?.();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #busyMsAt(w: WorkerCounters, t: number): number {
    return w.busyMs + (IDLE_STATES.has(w.state) ? 0 : t - w.since);
  }

  /**
   * Shows the lane's live state, or its oldest hold's state while its own work is not under way.
   * The item shown is the live one (the hold's only when there is none): the lane's item never goes
   * back to an earlier book (a batch's next book all in, shown again as the held one, read as the lane
   * moving on each time: HE s19 F9); that book waits to clean too, behind the held one.
   */
  #show(w: WorkerCounters): void {
    const hold = w.holds[0];
    if (hold && !liveWorking(w)) this.#setState(w, hold.state, w.live.item ?? hold.item);
    else this.#setState(w, w.live.state, w.live.item);
    w.itemBytes = w.item === w.live.item ? w.liveBytes : 0;
    w.itemTotal = w.item === w.live.item ? w.liveTotal : null;
  }

  #setState(w: WorkerCounters, state: WorkerState, item: string | null): void {
    if (state === w.state && item === w.item) return;
    const t = this.now();
    if (!IDLE_STATES.has(w.state)) {
      w.busyMs += t - w.since;
      this.#pushSpan({ worker: w.id, state: w.state, item: w.item, start: w.since, end: t });
    }
    w.state = state;
    w.item = item;
    w.since = t;
  }

  #pushSpan(span: TimelineSpan): void {
    if (span.end - span.start <= 0) return;
    if (this.#spans.length >= MAX_PENDING_SPANS) {
      this.#spans.shift();
      this.#droppedSpans++;
    }
    this.#spans.push(span);
  }
}
