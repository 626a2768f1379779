import type { AutoWorkersSample } from './auto-workers-options';

/**
 * `--workers auto`'s bookkeeping (the decisions are auto-workers.ts's): when a step's window opens
 * and closes (`StepWindow`), and what each N read (`StepReadings`). Pure, like the controller.
 */

/** Longest warm-up, in windows, when some connection never moves bytes (its login keeps failing). */
const WARMUP_BOUND_WINDOWS = 10;

/**
 * A window whose ticks were this late (share of its time), and twice as late as the step before's,
 * was starved (a traced false knee, 4 → 8 read -31 %: 17 % late, the 4-window 0 %).
 */
const STARVED_LAG = 0.1;
/** Times a flat step read in a starved window is read again before it counts. */
const STARVED_REREADS = 2;

/** One closed window: its length, the throughput over it, and how late its ticks were (share, null: not told). */
export interface WindowReading {
  ms: number;
  throughput: number;
  lagShare: number | null;
}

/**
 * The window at constant N: it starts once N connections have each had time to get going since the
 * change (all of them moving bytes, when the pool counts them; else N/2 items), and closes after
 * `minWindowMs` and N/2 items (N without the count).
 */
export class StepWindow {
  /** The first tick after the last change of N (null: none yet). */
  #changedAt: AutoWorkersSample | null = null;
  #start: AutoWorkersSample | null = null;

  constructor(private readonly minWindowMs: number) {}

  /** The tick that followed the last change (the early jump reads its throughput from there). */
  get changedAt(): AutoWorkersSample | null {
    return this.#changedAt;
  }

  /** True when this tick is the first since the change (it only marks the change). */
  markChange(s: AutoWorkersSample): boolean {
    if (this.#changedAt) return false;
    this.#changedAt = s;
    return true;
  }

  /** The window's reading at this tick, once it is long enough (null: warming up or still open). */
  read(s: AutoWorkersSample, target: number): WindowReading | null {
    const counted = s.transferring !== undefined;
    if (!this.#start) {
      // Warm-up: the new connections open and get going before the clock starts.
      const going = counted
        ? s.transferring! >= target || s.atMs - this.#changedAt!.atMs >= WARMUP_BOUND_WINDOWS * this.minWindowMs
        : s.items - this.#changedAt!.items >= Math.ceil(target / 2);
      if (going) this.#start = s;
      return null;
    }
    const w = this.#start;
    const ms = s.atMs - w.atMs;
    // Enough items that the window is not one phase of each connection's request-transfer cycle.
    if (ms < this.minWindowMs || s.items - w.items < (counted ? Math.ceil(target / 2) : target)) return null;
    const throughput = ((s.bytes - w.bytes) / ms) * 1000;
    const lagShare = s.lagMs !== undefined && w.lagMs !== undefined ? (s.lagMs - w.lagMs) / ms : null;
    return { ms, throughput, lagShare };
  }

  restart(): void {
    this.#changedAt = null;
    this.#start = null;
  }
}

/** What each N read: throughput (bytes/s), the window's length and its ticks' lag. */
export class StepReadings {
  /** Throughput measured at each N (bytes/s). */
  readonly #throughput = new Map<number, number>();
  /** The tick lag (share of the window) of the window that measured each N. */
  readonly #lagShare = new Map<number, number>();
  /** Window length (ms) of the measurement of each N. */
  readonly #windowOf = new Map<number, number>();
  /** Re-reads of a flat step read in a starved window, for the N they were at. */
  #rereads = { workers: 0, count: 0 };

  record(n: number, r: WindowReading): void {
    this.#throughput.set(n, r.throughput);
    this.#lagShare.set(n, r.lagShare ?? 0);
    this.#windowOf.set(n, r.ms);
  }

  throughput(n: number): number | undefined {
    return this.#throughput.get(n);
  }

  windowMs(n: number): number | undefined {
    return this.#windowOf.get(n);
  }

  lagShare(n: number): number | undefined {
    return this.#lagShare.get(n);
  }

  /** Forgets the throughputs (a new climb compares against nothing read before). */
  clear(): void {
    this.#throughput.clear();
  }

  /** Forgets the throughputs above a server's limit. */
  dropAbove(limit: number): void {
    for (const n of this.#throughput.keys()) if (n > limit) this.#throughput.delete(n);
  }

  /** The readings as points for a fit, with `extra` (one not yet recorded) if given. */
  points(extra?: { workers: number; throughput: number }): Array<{ workers: number; throughput: number }> {
    const all = new Map(this.#throughput);
    if (extra) all.set(extra.workers, extra.throughput);
    return [...all].map(([workers, throughput]) => ({ workers, throughput }));
  }

  /** The window at `n` was starved against the one at `prev`, and may be read again (counts the re-read). */
  starved(n: number, prev: number, lagShare: number | null): boolean {
    const before = this.#lagShare.get(prev);
    if (lagShare === null || before === undefined || lagShare < STARVED_LAG || lagShare < 2 * before) return false;
    if (this.#rereads.workers !== n) this.#rereads = { workers: n, count: 0 };
    if (this.#rereads.count >= STARVED_REREADS) return false;
    this.#rereads.count++;
    return true;
  }
}

export function fmtRate(bytesPerSec: number): string {
  return bytesPerSec >= 1e6 ? `${(bytesPerSec / 1e6).toFixed(1)} MB/s` : `${Math.round(bytesPerSec / 1e3)} kB/s`;
}
