/** What `AutoWorkersController` (auto-workers.ts) is given: its options, and the pool's counters on each tick. */

export interface AutoWorkersOptions {
  /** Connections at the start (default 4: at 50 ms RTT a climb from 2 costs a third of a 200-book job). */
  start?: number;
  /** Never more than this (default 32). */
  max?: number;
  /** Smallest relative gain worth a step (default 0.1 = 10 %). */
  minGain?: number;
  /** Shortest measurement window, ms (default 100; an outcome that stops the climb waits for 3 ×). */
  minWindowMs?: number;
  /** The server's connection limit known at the start (learned or given), if any. */
  limit?: number;
  /** Why the job starts at `start` (the start decision's line), when it is not the default: e.g. a knee remembered from the last job. */
  startWhy?: string;
  /**
   * `start` is a knee remembered from an earlier job (net/auto-knee.ts). The server may need fewer
   * connections now: a stop at the start (a flat step up, the maximum, the limit), once held for
   * 5 windows, measures half of it, and goes on down while halving N loses less than `minGain`.
   */
  fromKnee?: boolean;
  /**
   * Size the job's first step from the samples' `waitMs`/`transferMs` (see there) instead of ×2
   * (Gutenberg jobs; not with `fromKnee`, nor while the samples carry a `rateCap`: its pacing is waiting too). Off by default: mail adds connections one LOGIN after
   * another and a jump there opened more at once than Courier's per-IP count was read right.
   */
  sizeFirstStep?: boolean;
}

/** Cumulative counters at one tick. */
export interface AutoWorkersSample {
  /** ms since the job started. */
  atMs: number;
  /** Bytes transferred so far (the throughput measured). */
  bytes: number;
  /** Items finished so far (done or failed): a window waits for N of them (N/2 with `transferring`). */
  items: number;
  /** The job's bandwidth cap now, bytes/s (null or absent: none). */
  rateCap?: number | null;
  /**
   * Connections held now that have received bytes (optional). Given, a step's window starts once
   * all the connections it asked for move bytes (or after `WARMUP_BOUND_WINDOWS` windows) and a
   * window waits for N/2 items; absent, once N/2 items finished since the change, and a window
   * waits for N items.
   */
  transferring?: number;
  /**
   * ms the pool's ticks have fired late so far (optional): time the job wanted a CPU and the machine
   * gave it to someone else. A step read flat in a window much later than the one before is read again.
   */
  lagMs?: number;
  /**
   * ms the finished items (or batches) waited from their start to their first byte, and took from
   * there to their end, summed since the job started (optional; core/first-byte-times.ts). Given
   * (and `sizeFirstStep`), the job's first step grows N by (wait + transfer) / transfer (at least
   * ×2): connections that mostly wait leave room for that many more at once.
   */
  waitMs?: number;
  transferMs?: number;
  /**
   * Sessions whose set-up ended (ready: logged in) before their first byte, counted once each, and
   * their ms from the first item's start to then, summed (optional; first-byte-times.ts). Before any
   * item finished, sessions that took long to set up (round trips) already say the job is
   * latency-bound: the first step (with `sizeFirstStep`) is taken from them (auto-first-step.ts).
   */
  setUps?: number;
  setUpMs?: number;
  /**
   * Sessions still setting up now (their first item started, no byte yet, not ready) and their ms
   * so far, summed (optional): lower bounds of set-ups not ended, evidence for the same step ~a round
   * trip sooner (a login through 50 ms of round trips is still going at the first tick).
   */
  settingUp?: number;
  settingUpMs?: number;
}
