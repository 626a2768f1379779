import type { AutoWorkersDecision } from '../../../shared/events';
import type { AutoWorkersOptions, AutoWorkersSample } from './auto-workers-options';
import { earlyJump, setUpStep } from './auto-first-step';
import { fittedGain, nextStep, stepSize } from './auto-step-size';
import { StepReadings, StepWindow, fmtRate, type WindowReading } from './auto-workers-readings';
import { AT_CAP, NEAR_CAP, PROBE_AFTER_WINDOWS, STOP_WINDOWS } from './auto-workers-rules';

export type { AutoWorkersOptions, AutoWorkersSample } from './auto-workers-options';

/**
 * `--workers auto`: how many connections a job holds, decided from its own throughput while it runs.
 * Pure (no clock, no I/O): the pool feeds it cumulative counters on a tick and applies the target.
 * The rules in full, with why: README.md. In short: from `start`, N grows (the first step sized from
 * the items' wait for a first byte when asked, at once if the first two mostly waited, or × 4 from
 * the sessions' slow set-up before that (auto-first-step.ts); then ×2, ×4 while each connection
 * keeps 60 % of its throughput) while a step gains `minGain` and Amdahl's law fitted to the windows (three or more)
 * says the next one would too; each step is read over a window at constant N once all its
 * connections move bytes. Fast to climb, slow to stop: a step up needs one short window, a stop a
 * long one (3 ×), a flat step against a short reading re-reads the N before, one read while the job
 * waited for a CPU (`lagMs`) is read again. A flat step goes back (the knee), tried again after 5,
 * 10, 20... windows; a refusal or a known `limit` caps N; a window at 80 % of a bandwidth cap settles.
 * A stop at a remembered knee the job started at (`fromKnee`), or where the first jump landed, once
 * held a while, measures below it too: the knee may be lower.
 */

export type { AutoWorkersDecision };

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
  /** The step from the sessions' set-up was taken (once per job; see auto-first-step.ts). */
  #setUpStepped = false;
  #limit = Infinity;
  #settled = false;
  /** The cap the controller settled at (it measures again if the cap goes up), or null. */
  #settledAtCap: number | null = null;
  /** When a knee found by a flat step (or the fit) is tried again, ms; null: never (limit, max, cap). */
  #probeAtMs: number | null = null;
  /** Hold before the next such try (doubles after each: a knee that holds costs fewer and fewer tries). */
  #probeEveryMs: number;
  /** What each N read. */
  readonly #readings = new StepReadings();
  /**
   * A step read flat against a short reading of the N before it: N went back to `from` to read it
   * over a long window, and the step counts against that.
   */
  #confirm: { from: number; to: number } | null = null;
  /**
   * An N to measure below once it is held (null: none): the remembered knee the job started at, or
   * where the first step's jump landed (the knee may be anywhere between the start and there).
   */
  #below: { n: number; why: string } | null;
  /** Stepping down (see `#below`): the N above the one measured now (where a loss goes back to). */
  #downFrom: number | null = null;
  /** The N before the last step up (where a flat step goes back to). */
  #previous: number | null = null;
  /** The window at the current N. */
  readonly #window: StepWindow;

  constructor(opts: AutoWorkersOptions = {}) {
    this.#max = Math.max(1, opts.max ?? 32);
    this.#target = Math.min(this.#max, Math.max(1, opts.start ?? 4));
    this.#minGain = opts.minGain ?? 0.1;
    this.#minWindowMs = opts.minWindowMs ?? 100;
    this.#window = new StepWindow(this.#minWindowMs);
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

  /** The first step was taken from the sessions' set-up (their logged-in count is then a refusal's reading too). */
  get steppedAtSetUp(): boolean {
    return this.#setUpStepped;
  }

  /** An early step (auto-first-step.ts) may still come: an item's end is worth reading at once (the pool pokes its clock). */
  get awaitsEarlyStep(): boolean {
    return !this.#settled && this.#beforeAnyWindow();
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
      this.#readings.clear();
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
      this.#readings.clear();
      this.#confirm = null;
      this.#restartWindow();
      return { atMs: s.atMs, workers: this.#target, throughput: 0, action: 'hold', why: `trying the step past ${this.#target} again: measuring at ${this.#target}` };
    }
    if (this.#settled) return null;
    // The early steps need no window: taken at the first tick with their evidence, also the one that
    // only marks a change (it cost a tick, 50 ms, per step: 4 → 16 → 32 came at 0.10 and 0.20 s).
    const early = this.#jumpEarly(s) ?? this.#stepAtSetUp(s);
    if (early) return early;
    if (this.#window.markChange(s)) return null;
    const reading = this.#window.read(s, this.#target);
    if (!reading) return null;
    // A window that moved nothing (the server or the machine stalled) says nothing about N, and a ratio
    // against it is none ("gained NaN %", "gains Infinity %" seen under load): read it again.
    if (!(reading.throughput > 0)) {
      this.#restartWindow();
      return null;
    }
    const timed = (s.waitMs ?? 0) + (s.transferMs ?? 0);
    // Under a bandwidth cap the waits include the bucket's pacing, which more connections cannot shorten.
    this.#waiting = s.waitMs !== undefined && s.transferMs && !s.rateCap ? s.waitMs / timed : null;
    return this.#decide(s.atMs, reading, s.rateCap ?? null);
  }

  /**
   * The server refused a connection while `holding` were open: never ask for more than that again.
   * After a step from the set-up, refusals come before most sessions proved themselves: the sessions
   * logged in (`loggedIn`, pool-counted) are held too. Not otherwise: HTTP's are ready before they connect.
   */
  refused(atMs: number, holding: number, throughput = 0, loggedIn = 0): AutoWorkersDecision | null {
    const limit = Math.max(1, this.#setUpStepped ? Math.max(holding, loggedIn) : holding);
    if (limit >= this.#limit && this.#target <= limit) return null;
    this.#limit = Math.min(this.#limit, limit);
    this.#target = Math.min(this.#target, this.#limit);
    // The step up is void: comparing N with a larger previous N would read as a flat step "back" above the limit.
    if (this.#previous !== null && this.#previous >= this.#target) this.#previous = null;
    this.#readings.dropAbove(this.#limit);
    this.#confirm = null;
    this.#downFrom = null;
    this.#restartWindow();
    return { atMs, workers: this.#target, throughput, action: 'back-off', why: `server refused connection ${limit + 1}: at most ${this.#limit} from now on` };
  }

  /** The window's length says how much it may decide: a long one may end the climb, a short one only step up. */
  #decide(atMs: number, reading: WindowReading, rateCap: number | null): AutoWorkersDecision | null {
    const { throughput, ms, lagShare } = reading;
    const long = ms >= STOP_WINDOWS * this.#minWindowMs;
    if (this.#confirm) return long ? this.#confirmed(atMs, reading, rateCap) : null;
    if (this.#downFrom !== null) return long ? this.#steppedDown(atMs, reading) : null;
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
    if (!long && (nearCap || (n < cap && next === null) || (n >= cap && n === this.#below?.n) || (prev !== null && throughput / (this.#readings.throughput(prev) ?? throughput) - 1 < this.#minGain))) return null;
    if (prev !== null && throughput / (this.#readings.throughput(prev) ?? throughput) - 1 < this.#minGain && this.#readings.starved(n, prev, lagShare)) {
      // Flat, but the job waited for a CPU much more than in the step before's window: the machine
      // was busy, which says nothing about N. Read the step again (a few times at most).
      this.#restartWindow();
      return null;
    }
    this.#readings.record(n, reading);
    this.#windows++;
    if (prev !== null) {
      const gain = throughput / (this.#readings.throughput(prev) ?? throughput) - 1;
      const before = this.#readings.windowMs(prev) ?? Infinity;
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
      const to = this.#stepSize(n, prev, throughput, cap);
      const { f, gain: predicted } = fittedGain(this.#readings.points(), n, to);
      this.#settled = true;
      this.#probeLater(atMs);
      return { atMs, workers: n, throughput, action: 'hold', why: `serial fraction ${f.toFixed(2)} predicts ${n} → ${to} gains ${pct(predicted)}: settled at ${n}` };
    }
    this.#previous = n;
    this.#stepUp(next, jumping && next > 2 * n ? `reached by the first step's jump from ${n}` : null);
    const why = prev === null ? `${n} connections: ${fmtRate(throughput)}${waited}; trying ${next}` : `${prev} → ${n} gained ${pct(throughput / this.#readings.throughput(prev)! - 1)}; trying ${next}`;
    return { atMs, workers: next, throughput, action: 'add', why };
  }

  /**
   * The job's first step, sized from the first items' waits, without waiting for the first window
   * to close when they waited much longer than they transferred. Nothing is measured at the start
   * N (its reading would be the logins'), so the landing is read as a first window: a landing past
   * the knee is found by the step below it once held (`#below`), or by the flat step after it.
   */
  #jumpEarly(s: AutoWorkersSample): AutoWorkersDecision | null {
    if (!this.#beforeAnyWindow()) return null;
    const n = this.#target;
    const jump = earlyJump(s, n, Math.min(this.#max, this.#limit));
    if (!jump) return null;
    this.#waiting = jump.waiting;
    const changedAt = this.#window.changedAt;
    const ms = changedAt ? s.atMs - changedAt.atMs : 0;
    const throughput = changedAt && ms > 0 ? ((s.bytes - changedAt.bytes) / ms) * 1000 : 0;
    this.#windows++;
    this.#stepUp(jump.next, jump.next > 2 * n ? `reached by the first step's jump from ${n}` : null);
    return { atMs: s.atMs, workers: jump.next, throughput, action: 'add', why: jump.why };
  }
  /**
   * Before any item finished, from the sessions' set-up alone (logins of several round trips: the
   * job waits on latency): a step at once (auto-first-step.ts). Not a window: the items' waits still size the
   * next step (`#jumpEarly`, from here); a landing past the knee is measured below once held.
   */
  #stepAtSetUp(s: AutoWorkersSample): AutoWorkersDecision | null {
    if (this.#setUpStepped || !this.#beforeAnyWindow()) return null;
    const n = this.#target;
    const step = setUpStep(s, n, Math.min(this.#max, this.#limit));
    if (!step) return null;
    this.#setUpStepped = true;
    this.#stepUp(step.next, `reached by the step from the sessions' set-up (${n})`);
    return { atMs: s.atMs, workers: step.next, throughput: 0, action: 'add', why: step.why };
  }

  /**
   * N goes up to `next`, its window starts again; `below`: why `next` is to be measured below once
   * held (a jump may have landed past the knee), or null.
   */
  #stepUp(next: number, below: string | null): void {
    this.#target = next;
    this.#highest = Math.max(this.#highest, next);
    if (below !== null) this.#below = { n: next, why: below };
    this.#restartWindow();
  }

  /** Nothing measured yet and no step taken from a window: a first step may still be taken early (sized first steps only). */
  #beforeAnyWindow(): boolean {
    return this.#sizeFirstStep && !this.#fromKnee && this.#windows === 0 && this.#previous === null && !this.#confirm && this.#downFrom === null;
  }

  /** The long reading at `from` after a flat step to `to`: the step paid after all (go on from `to`), or the knee is `from`. */
  #confirmed(atMs: number, reading: WindowReading, rateCap: number | null): AutoWorkersDecision | null {
    const { throughput, ms } = reading;
    const { from, to } = this.#confirm!;
    this.#confirm = null;
    this.#readings.record(from, reading);
    this.#windows++;
    const atTo = this.#readings.throughput(to);
    if (atTo !== undefined && to <= this.#limit && atTo / throughput - 1 >= this.#minGain) {
      // Decided as if just measured at `to` (its long window), against this one.
      this.#target = to;
      this.#previous = from;
      return this.#decide(atMs, { throughput: atTo, ms: this.#readings.windowMs(to) ?? ms, lagShare: this.#readings.lagShare(to) ?? null }, rateCap);
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
  #steppedDown(atMs: number, reading: WindowReading): AutoWorkersDecision {
    const { throughput } = reading;
    const above = this.#downFrom!;
    const n = this.#target;
    this.#downFrom = null;
    this.#readings.record(n, reading);
    this.#windows++;
    const gain = (this.#readings.throughput(above) ?? throughput) / throughput - 1;
    const said = `${n} → ${above} gains ${Math.round(gain * 100)} %`;
    if (gain < this.#minGain && n > 1) return this.#down(atMs, n, throughput, `${said} (< ${Math.round(this.#minGain * 100)} %): the server needs fewer now`);
    const knee = gain < this.#minGain ? n : Math.min(above, this.#limit);
    this.#target = knee;
    this.#settled = true;
    this.#probeLater(atMs);
    return { atMs, workers: knee, throughput, action: knee > n ? 'add' : 'hold', why: `${said}: the knee is ${knee}` };
  }

  #probeLater(atMs: number): void {
    this.#probeAtMs = atMs + this.#probeEveryMs;
    this.#probeEveryMs *= 2;
  }

  /** The N after `n` if the climb goes on (throughput measured at n), or null when the fit says it would not pay (auto-step-size.ts). */
  #nextStep(n: number, prev: number | null, throughput: number, cap: number): number | null {
    return nextStep(this.#readings, { n, prev, throughput, cap, firstWaiting: this.#firstJump() ? this.#waiting : null }, this.#minGain);
  }

  /** × 4 while each connection keeps most of its throughput, else × 2; the first step sized from the waits (auto-step-size.ts). */
  #stepSize(n: number, prev: number | null, throughput: number, cap: number): number {
    return stepSize(this.#readings, { n, prev, throughput, cap, firstWaiting: this.#firstJump() ? this.#waiting : null });
  }

  /** The first window of a job not started at a remembered knee, with the pool's first-byte times. */
  #firstJump(): boolean {
    return this.#sizeFirstStep && this.#windows === 0 && !this.#fromKnee && this.#waiting !== null;
  }

  /** Starts the measurement window again (after a pause, which measures nothing about N). */
  restartWindow(): void {
    this.#restartWindow();
  }

  #restartWindow(): void {
    this.#window.restart();
  }
}
