import { amdahlSpeedup, fitSerialFraction } from '../../../shared/lab/speedup-fits';
import type { AutoWorkersDecision } from '../../../shared/events';
import type { AutoWorkersOptions, AutoWorkersSample } from './auto-workers-options';

export type { AutoWorkersOptions, AutoWorkersSample } from './auto-workers-options';

/**
 * `--workers auto`: how many connections a job holds, decided from its own throughput while it runs.
 * Pure (no clock, no I/O): the pool feeds it cumulative counters on a tick and applies the target.
 * The rules in full, with why: README.md. In short: from `start`, N grows (the first step sized from
 * the items' wait for a first byte when asked, at once if the first two mostly waited, then ×2, ×4 while each connection keeps 60 % of its
 * throughput) while a step gains `minGain` and Amdahl's law fitted to the windows (three or more)
 * says the next one would too; each step is read over a window at constant N once all its
 * connections move bytes. Fast to climb, slow to stop: a step up needs one short window, a stop a
 * long one (3 ×), a flat step against a short reading re-reads the N before, one read while the job
 * waited for a CPU (`lagMs`) is read again. A flat step goes back (the knee), tried again after 5,
 * 10, 20... windows; a refusal or a known `limit` caps N; a window at 80 % of a bandwidth cap settles.
 * A stop at a remembered knee the job started at (`fromKnee`), or where the first jump landed, once
 * held a while, measures below it too: the knee may be lower.
 */

/**
 * A window at this share of the bandwidth cap is "at the cap": measured over a window at the cap,
 * throughput reads 15-20 % either side of it (bytes are counted as chunks land, the bucket lets
 * a burst through), and a step from 80 % could gain at most 25 % anyway.
 */
const AT_CAP = 0.8;
/** From this share of the cap, a window is too close to it to step on a short reading. */
const NEAR_CAP = 0.5;

export type { AutoWorkersDecision };


/**
 * A window whose ticks were this late (share of its time), and twice as late as the step before's,
 * was starved (a traced false knee, 4 → 8 read -31 %: 17 % late, the 4-window 0 %).
 */
const STARVED_LAG = 0.1;
/** Times a flat step read in a starved window is read again before it counts. */
const STARVED_REREADS = 2;

/** Longest warm-up, in windows, when some connection never moves bytes (its login keeps failing). */
const WARMUP_BOUND_WINDOWS = 10;
/**
 * Each connection's throughput after a step, as a share of before it, that says the knee is far:
 * a doubling that gained 20 % or more. Latency-bound transfers keep nearly all of it; a job whose
 * CPU or link is near full keeps half or less.
 */
const SLOW_START_KEEP = 0.6;
/**
 * A knee found by a flat step is tried again after this many windows, then twice as long each time.
 * Soon: a try at a real knee costs nothing but connections (2N moves what N does), while a false one
 * (a start-of-job window read while the machine was busy) costs the rest of the job.
 */
const PROBE_AFTER_WINDOWS = 5;
/** An outcome that ends the climb is read over this many windows. */
const STOP_WINDOWS = 3;
/**
 * The first step is taken as soon as this many items finished and they waited at least
 * `EARLY_WAIT_RATIO` × their transfer for a first byte: the sizing needs nothing more, and every
 * 100 ms of the first window at the start N costs ~85 ms of a job that should be at 32.
 */
const EARLY_ITEMS = 2;
const EARLY_WAIT_RATIO = 3;

export class AutoWorkersController {
  readonly #max: number;
  readonly #minGain: number;
  readonly #minWindowMs: number;
  #target: number;
  readonly #startWhy: string | undefined;
  /** The most connections asked for so far (what a job still climbing at its end held). */
  #highest: number;
  /** Windows measured (a job that measured none found nothing to remember). */
  #windows = 0;
  readonly #fromKnee: boolean;
  readonly #sizeFirstStep: boolean;
  /** Share of the finished items' time spent waiting for their first byte, so far (null: not told). */
  #waiting: number | null = null;
  #limit = Infinity;
  #settled = false;
  /** The cap the controller settled at (it measures again if the cap goes up), or null. */
  #settledAtCap: number | null = null;
  /** When a knee found by a flat step (or the fit) is tried again, ms; null: never (limit, max, cap). */
  #probeAtMs: number | null = null;
  /** Hold before the next such try (doubles after each: a knee that holds costs fewer and fewer tries). */
  #probeEveryMs: number;
  /** Throughput measured at each N (bytes/s). */
  readonly #measured = new Map<number, number>();
  /** The tick lag (share of the window) of the window that measured each N. */
  readonly #lagShare = new Map<number, number>();
  /** Window length (ms) of the measurement of each N. */
  readonly #windowOf = new Map<number, number>();
  /**
   * A step read flat against a short reading of the N before it: N went back to `from` to read it
   * over a long window, and the step counts against that.
   */
  #confirm: { from: number; to: number } | null = null;
  /** Re-reads of a flat step read in a starved window, for the N they were at. */
  #rereads = { workers: 0, count: 0 };
  /**
   * An N to measure below once it is held (null: none): the remembered knee the job started at, or
   * where the first step's jump landed (the knee may be anywhere between the start and there).
   */
  #below: { n: number; why: string } | null;
  /** Stepping down (see `#below`): the N above the one measured now (where a loss goes back to). */
  #downFrom: number | null = null;
  /** The N before the last step up (where a flat step goes back to). */
  #previous: number | null = null;
  /** Window start: set once N connections have each had time to finish an item since the change. */
  #changedAt: AutoWorkersSample | null = null;
  #windowStart: AutoWorkersSample | null = null;

  constructor(opts: AutoWorkersOptions = {}) {
    this.#max = Math.max(1, opts.max ?? 32);
    this.#target = Math.min(this.#max, Math.max(1, opts.start ?? 4));
    this.#minGain = opts.minGain ?? 0.1;
    this.#minWindowMs = opts.minWindowMs ?? 100;
    this.#probeEveryMs = PROBE_AFTER_WINDOWS * this.#minWindowMs;
    if (opts.limit !== undefined) {
      this.#limit = Math.max(1, opts.limit);
      this.#target = Math.min(this.#target, this.#limit);
    }
    this.#startWhy = opts.startWhy;
    this.#highest = this.#target;
    this.#fromKnee = opts.fromKnee ?? false;
    this.#sizeFirstStep = opts.sizeFirstStep ?? false;
    this.#below = this.#fromKnee && this.#target > 1 ? { n: this.#target, why: 'the knee remembered from an earlier job' } : null;
  }

  /**
   * What this job found, for the next one to the server: the N settled at, or the most held while
   * still climbing (`climbing`). Null before any window was measured, and when a bandwidth cap
   * stopped the climb (that N is the cap's, not the server's).
   */
  get knee(): { workers: number; climbing: boolean } | null {
    if (this.#windows === 0 || this.#settledAtCap !== null) return null;
    if (this.#settled) return { workers: this.#target, climbing: false };
    return { workers: Math.min(this.#highest, this.#limit), climbing: true };
  }

  /** Connections the job should hold now. */
  get target(): number {
    return this.#target;
  }

  /** True while the controller has stopped stepping (it still obeys a refusal; a knee is tried again later). */
  get settled(): boolean {
    return this.#settled;
  }

  /** The most connections the server has shown it accepts (Infinity until it refuses one). */
  get limit(): number {
    return this.#limit;
  }

  /** The first decision: the starting N. */
  startDecision(): AutoWorkersDecision {
    const most = Math.min(this.#max, this.#limit);
    const why = this.#limit <= this.#max ? `at most ${most}: the limit per server` : `at most ${this.#max}`;
    return { atMs: 0, workers: this.#target, throughput: 0, action: 'start', why: this.#startWhy ?? `start with ${this.#target} connections (${why})` };
  }

  /** Feeds the counters at a tick; returns a decision when N changes or the controller settles. */
  observe(s: AutoWorkersSample): AutoWorkersDecision | null {
    if (this.#settled && this.#settledAtCap !== null && !(s.rateCap && s.rateCap <= this.#settledAtCap * 1.1)) {
      // The cap that stopped the climb went up (or away): what more connections bring is worth measuring again.
      const was = this.#settledAtCap;
      this.#settled = false;
      this.#settledAtCap = null;
      this.#previous = null;
      this.#measured.clear();
      this.#confirm = null;
      this.#restartWindow();
      const now = s.rateCap ? `raised to ${fmtRate(s.rateCap)}` : 'lifted';
      return { atMs: s.atMs, workers: this.#target, throughput: 0, action: 'hold', why: `bandwidth cap ${fmtRate(was)} ${now}: measuring again at ${this.#target}` };
    }
    if (this.#settled && this.#probeAtMs !== null && s.atMs >= this.#probeAtMs && this.#target === this.#below?.n) {
      // Held the remembered knee a while: the server may need fewer now. Measure half of it against that hold.
      this.#settled = false;
      this.#probeAtMs = null;
      const why = `held ${this.#target}, ${this.#below!.why}`;
      this.#below = null;
      this.#confirm = null;
      return this.#down(s.atMs, this.#target, 0, why);
    }
    if (this.#settled && this.#probeAtMs !== null && s.atMs >= this.#probeAtMs && this.#target < Math.min(this.#max, this.#limit)) {
      // The knee was read on a machine and a server whose load changes: measure it again (one step).
      this.#settled = false;
      this.#probeAtMs = null;
      this.#previous = null;
      this.#measured.clear();
      this.#confirm = null;
      this.#restartWindow();
      return { atMs: s.atMs, workers: this.#target, throughput: 0, action: 'hold', why: `trying the step past ${this.#target} again: measuring at ${this.#target}` };
    }
    if (this.#settled) return null;
    if (!this.#changedAt) {
      this.#changedAt = s;
      return null;
    }
    const early = this.#jumpEarly(s);
    if (early) return early;
    const counted = s.transferring !== undefined;
    if (!this.#windowStart) {
      // Warm-up: the new connections open and get going before the clock starts.
      const going = counted
        ? s.transferring! >= this.#target || s.atMs - this.#changedAt.atMs >= WARMUP_BOUND_WINDOWS * this.#minWindowMs
        : s.items - this.#changedAt.items >= Math.ceil(this.#target / 2);
      if (going) this.#windowStart = s;
      return null;
    }
    const w = this.#windowStart;
    const ms = s.atMs - w.atMs;
    // Enough items that the window is not one phase of each connection's request-transfer cycle.
    if (ms < this.#minWindowMs || s.items - w.items < (counted ? Math.ceil(this.#target / 2) : this.#target)) return null;
    const throughput = ((s.bytes - w.bytes) / ms) * 1000;
    const lagShare = s.lagMs !== undefined && w.lagMs !== undefined ? (s.lagMs - w.lagMs) / ms : null;
    const timed = (s.waitMs ?? 0) + (s.transferMs ?? 0);
    // Under a bandwidth cap the waits include the bucket's pacing, which more connections cannot shorten.
    this.#waiting = s.waitMs !== undefined && s.transferMs && !s.rateCap ? s.waitMs / timed : null;
    return this.#decide(s.atMs, throughput, s.rateCap ?? null, ms, lagShare);
  }

  /** The server refused a connection while `holding` were open: never ask for more than that again. */
  refused(atMs: number, holding: number, throughput = 0): AutoWorkersDecision | null {
    const limit = Math.max(1, holding);
    if (limit >= this.#limit && this.#target <= limit) return null;
    this.#limit = Math.min(this.#limit, limit);
    this.#target = Math.min(this.#target, this.#limit);
    // The step up is void: comparing N with a larger previous N would read as a flat step "back" above the limit.
    if (this.#previous !== null && this.#previous >= this.#target) this.#previous = null;
    for (const n of this.#measured.keys()) if (n > this.#limit) this.#measured.delete(n);
    this.#confirm = null;
    this.#downFrom = null;
    this.#restartWindow();
    return { atMs, workers: this.#target, throughput, action: 'back-off', why: `server refused connection ${holding + 1}: at most ${this.#limit} from now on` };
  }

  /** `ms`: the window's length; a long one may end the climb, a short one only step up. */
  #decide(atMs: number, throughput: number, rateCap: number | null, ms: number, lagShare: number | null): AutoWorkersDecision | null {
    const long = ms >= STOP_WINDOWS * this.#minWindowMs;
    if (this.#confirm) return long ? this.#confirmed(atMs, throughput, rateCap, ms, lagShare) : null;
    if (this.#downFrom !== null) return long ? this.#steppedDown(atMs, throughput, ms, lagShare) : null;
    const n = this.#target;
    const prev = this.#previous;
    const pct = (x: number) => `${Math.round(x * 100)} %`;
    const cap = Math.min(this.#max, this.#limit);
    const atCap = rateCap !== null && rateCap > 0 && throughput >= AT_CAP * rateCap;
    const next = this.#nextStep(n, prev, throughput, cap);
    const jumping = this.#firstJump();
    const waited = jumping ? `, items waited ${pct(this.#waiting!)} of their time for a first byte` : '';
    // A stop waits for a long window (the hold at the most N allowed need not: there is no step to
    // lose); so does any decision near a bandwidth cap, which a short window reads ±20 % (token bucket).
    const nearCap = rateCap !== null && rateCap > 0 && throughput >= NEAR_CAP * rateCap;
    // The hold at the most allowed, at a remembered knee, is what the step below is compared with: a long reading too.
    if (!long && (nearCap || (n < cap && next === null) || (n >= cap && n === this.#below?.n) || (prev !== null && throughput / (this.#measured.get(prev) ?? throughput) - 1 < this.#minGain))) return null;
    if (prev !== null && throughput / (this.#measured.get(prev) ?? throughput) - 1 < this.#minGain && this.#starved(n, prev, lagShare)) {
      // Flat, but the job waited for a CPU much more than in the step before's window: the machine
      // was busy, which says nothing about N. Read the step again (a few times at most).
      this.#restartWindow();
      return null;
    }
    this.#measured.set(n, throughput);
    this.#lagShare.set(n, lagShare ?? 0);
    this.#windowOf.set(n, ms);
    this.#windows++;
    if (prev !== null) {
      const gain = throughput / (this.#measured.get(prev) ?? throughput) - 1;
      const before = this.#windowOf.get(prev) ?? Infinity;
      if (gain < this.#minGain && !atCap && !nearCap && before < STOP_WINDOWS * this.#minWindowMs) {
        // Flat against a short reading (the first window of a job reads the connections' first
        // responses arriving together): go back and read the N before over a long window too.
        this.#target = Math.min(prev, this.#limit);
        this.#confirm = { from: this.#target, to: n };
        this.#previous = null;
        this.#restartWindow();
        return { atMs, workers: this.#target, throughput, action: 'back-off', why: `${prev} → ${n} gained ${pct(gain)} against ${Math.round(before)} ms at ${prev}: reading ${prev} again` };
      }
      if (gain < this.#minGain) {
        this.#target = Math.min(prev, this.#limit);
        this.#settled = true;
        if (atCap) this.#settledAtCap = rateCap;
        // Near a cap, the cap is why the step was flat: trying it again would read the cap again.
        else if (!nearCap) this.#probeLater(atMs);
        const knee = atCap ? `the bandwidth cap (${fmtRate(rateCap)}) is reached with ${prev}` : `the knee is ${prev}`;
        return { atMs, workers: prev, throughput, action: 'back-off', why: `${prev} → ${n} gained ${pct(gain)} (< ${pct(this.#minGain)}): ${knee}` };
      }
    }
    if (atCap) {
      this.#settled = true;
      this.#settledAtCap = rateCap;
      return { atMs, workers: n, throughput, action: 'hold', why: `${fmtRate(throughput)} is at the bandwidth cap (${fmtRate(rateCap)}): more connections cannot help; settled at ${n}` };
    }
    if (n >= cap) {
      this.#settled = true;
      // Not probed above (nothing is allowed there), but below a remembered knee later.
      if (n === this.#below?.n) this.#probeLater(atMs);
      return { atMs, workers: n, throughput, action: 'hold', why: cap === this.#max ? `at the maximum, ${cap}` : `at the server's limit, ${cap}` };
    }
    if (next === null) {
      const f = fitSerialFraction(this.#points());
      const to = this.#stepSize(n, prev, throughput, cap);
      const predicted = amdahlSpeedup(to, f) / amdahlSpeedup(n, f) - 1;
      this.#settled = true;
      this.#probeLater(atMs);
      return { atMs, workers: n, throughput, action: 'hold', why: `serial fraction ${f.toFixed(2)} predicts ${n} → ${to} gains ${pct(predicted)}: settled at ${n}` };
    }
    this.#previous = n;
    this.#target = next;
    this.#highest = Math.max(this.#highest, next);
    if (jumping && next > 2 * n) this.#below = { n: next, why: `reached by the first step's jump from ${n}` };
    this.#restartWindow();
    const why = prev === null ? `${n} connections: ${fmtRate(throughput)}${waited}; trying ${next}` : `${prev} → ${n} gained ${pct(throughput / this.#measured.get(prev)! - 1)}; trying ${next}`;
    return { atMs, workers: next, throughput, action: 'add', why };
  }

  /**
   * The job's first step, sized from the first items' waits, without waiting for the first window
   * to close when they waited much longer than they transferred. Nothing is measured at the start
   * N (its reading would be the logins'), so the landing is read as a first window: a landing past
   * the knee is found by the step below it once held (`#below`), or by the flat step after it.
   */
  #jumpEarly(s: AutoWorkersSample): AutoWorkersDecision | null {
    if (!this.#sizeFirstStep || this.#fromKnee || this.#windows > 0 || this.#previous !== null || this.#confirm || this.#downFrom !== null) return null;
    if (s.rateCap || s.waitMs === undefined || !s.transferMs || s.items < EARLY_ITEMS || s.waitMs < EARLY_WAIT_RATIO * s.transferMs) return null;
    const n = this.#target;
    const cap = Math.min(this.#max, this.#limit);
    if (n >= cap) return null;
    this.#waiting = s.waitMs / (s.waitMs + s.transferMs);
    const next = this.#stepSize(n, null, 0, cap);
    const ms = s.atMs - this.#changedAt!.atMs;
    const throughput = ms > 0 ? ((s.bytes - this.#changedAt!.bytes) / ms) * 1000 : 0;
    this.#windows++;
    this.#target = next;
    this.#highest = Math.max(this.#highest, next);
    if (next > 2 * n) this.#below = { n: next, why: `reached by the first step's jump from ${n}` };
    this.#restartWindow();
    const why = `${s.items} items waited ${Math.round(this.#waiting * 100)} % of their time for a first byte (${n} connections); trying ${next} at once`;
    return { atMs: s.atMs, workers: next, throughput, action: 'add', why };
  }

  /** The long reading at `from` after a flat step to `to`: the step paid after all (go on from `to`), or the knee is `from`. */
  #confirmed(atMs: number, throughput: number, rateCap: number | null, ms: number, lagShare: number | null): AutoWorkersDecision | null {
    const { from, to } = this.#confirm!;
    this.#confirm = null;
    this.#measured.set(from, throughput);
    this.#lagShare.set(from, lagShare ?? 0);
    this.#windowOf.set(from, ms);
    this.#windows++;
    const atTo = this.#measured.get(to);
    if (atTo !== undefined && to <= this.#limit && atTo / throughput - 1 >= this.#minGain) {
      // Decided as if just measured at `to` (its long window), against this one.
      this.#target = to;
      this.#previous = from;
      return this.#decide(atMs, atTo, rateCap, this.#windowOf.get(to) ?? ms, this.#lagShare.get(to) ?? null);
    }
    const gain = atTo !== undefined ? `${Math.round((atTo / throughput - 1) * 100)} %` : 'nothing';
    const why = `${from} → ${to} gained ${gain} (< ${Math.round(this.#minGain * 100)} %) against ${Math.round(ms)} ms at ${from}`;
    this.#settled = true;
    this.#probeLater(atMs);
    return { atMs, workers: from, throughput, action: 'hold', why: `${why}: the knee is ${from}` };
  }

  /** One step below `from` (half), read over a long window against `from`'s reading. */
  #down(atMs: number, from: number, throughput: number, why: string): AutoWorkersDecision {
    const to = Math.max(1, Math.floor(from / 2));
    this.#downFrom = from;
    this.#previous = null;
    this.#target = to;
    this.#restartWindow();
    return { atMs, workers: to, throughput, action: 'back-off', why: `${why}: trying ${to}` };
  }

  /** The long reading at N below `#downFrom`: it lost (back up, the knee) or moved as much (one step further down). */
  #steppedDown(atMs: number, throughput: number, ms: number, lagShare: number | null): AutoWorkersDecision {
    const above = this.#downFrom!;
    const n = this.#target;
    this.#downFrom = null;
    this.#measured.set(n, throughput);
    this.#lagShare.set(n, lagShare ?? 0);
    this.#windowOf.set(n, ms);
    this.#windows++;
    const gain = (this.#measured.get(above) ?? throughput) / throughput - 1;
    const said = `${n} → ${above} gains ${Math.round(gain * 100)} %`;
    if (gain < this.#minGain && n > 1) return this.#down(atMs, n, throughput, `${said} (< ${Math.round(this.#minGain * 100)} %): the server needs fewer now`);
    const knee = gain < this.#minGain ? n : Math.min(above, this.#limit);
    this.#target = knee;
    this.#settled = true;
    this.#probeLater(atMs);
    return { atMs, workers: knee, throughput, action: knee > n ? 'add' : 'hold', why: `${said}: the knee is ${knee}` };
  }

  /** The window at `n` was starved against the one at `prev`, and may be read again (counts the re-read). */
  #starved(n: number, prev: number, lagShare: number | null): boolean {
    const before = this.#lagShare.get(prev);
    if (lagShare === null || before === undefined || lagShare < STARVED_LAG || lagShare < 2 * before) return false;
    if (this.#rereads.workers !== n) this.#rereads = { workers: n, count: 0 };
    if (this.#rereads.count >= STARVED_REREADS) return false;
    this.#rereads.count++;
    return true;
  }

  #probeLater(atMs: number): void {
    this.#probeAtMs = atMs + this.#probeEveryMs;
    this.#probeEveryMs *= 2;
  }

  /** The N after `n` if the climb goes on (throughput measured at n), or null when the fit says it would not pay. */
  #nextStep(n: number, prev: number | null, throughput: number, cap: number): number | null {
    if (n >= cap) return null;
    const next = this.#stepSize(n, prev, throughput, cap);
    const withThis = new Map(this.#measured).set(n, throughput);
    // Two windows fit f too loosely to stop on (a noisy first window would end the climb at 4).
    if (withThis.size < 3) return next;
    const f = fitSerialFraction([...withThis].map(([workers, x]) => ({ workers, throughput: x })));
    return amdahlSpeedup(next, f) / amdahlSpeedup(n, f) - 1 < this.#minGain ? null : next;
  }

  /**
   * ×4 after a step that kept each connection's throughput at `SLOW_START_KEEP` of what it was (the
   * knee is still far: slow start), ×2 otherwise.
   */
  #stepSize(n: number, prev: number | null, throughput: number, cap: number): number {
    // The job's first step: as many more connections as the waiting leaves room for (see first-byte-times.ts).
    if (this.#firstJump() && prev === null) return Math.min(cap, Math.max(2 * n, Math.round(n / (1 - Math.min(this.#waiting!, 0.99)))));
    const prevX = prev !== null ? this.#measured.get(prev) : undefined;
    const kept = prev !== null && prevX !== undefined && prevX > 0 && throughput / n >= SLOW_START_KEEP * (prevX / prev);
    return Math.min(cap, n * (kept ? 4 : 2));
  }

  /** The first window of a job not started at a remembered knee, with the pool's first-byte times. */
  #firstJump(): boolean {
    return this.#sizeFirstStep && this.#windows === 0 && !this.#fromKnee && this.#waiting !== null;
  }

  #points(): Array<{ workers: number; throughput: number }> {
    return [...this.#measured].map(([workers, x]) => ({ workers, throughput: x }));
  }

  /** Starts the measurement window again (after a pause, which measures nothing about N). */
  restartWindow(): void {
    this.#restartWindow();
  }

  #restartWindow(): void {
    this.#changedAt = null;
    this.#windowStart = null;
  }
}

function fmtRate(bytesPerSec: number): string {
  return bytesPerSec >= 1e6 ? `${(bytesPerSec / 1e6).toFixed(1)} MB/s` : `${Math.round(bytesPerSec / 1e3)} kB/s`;
}
