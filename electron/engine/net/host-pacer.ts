import { sleep } from '../core/retry';
import type { WorkerProgress } from '../core/worker-context';

/**
 * Politeness toward one host, for all the lanes of a job: requests start at least `waitMs` apart
 * (× a random 0.5–1.5, as wget's `--wait` with `--random-wait`, so the spacing does not look like
 * a robot's clock), and none start before a time the server asked for (a `Retry-After` seen by
 * any lane holds them all, not only the lane that got it).
 */
export class HostPacer {
  /** Earliest time (performance.now()) the next request may start. */
  #next = 0;

  constructor(
    private readonly waitMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Nothing to do: no wait set and no Retry-After pending. */
  get idle(): boolean {
    return this.waitMs <= 0 && this.#next <= performance.now();
  }

  /** The server asked every request to wait `ms` from now. */
  holdFor(ms: number): void {
    this.#next = Math.max(this.#next, performance.now() + ms);
  }

  /**
   * Waits for this lane's turn (the lane shows `waiting` meanwhile) and books the next slot. Turns
   * are handed out in call order: each call reserves its slot before it sleeps.
   */
  async turn(signal: AbortSignal, progress?: WorkerProgress): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.#next);
    this.#next = at + (this.waitMs > 0 ? this.waitMs * (0.5 + this.random()) : 0);
    if (at > now) {
      progress?.setState('waiting');
      // A timer may fire a fraction of a millisecond before performance.now() reaches `at`: sleep
      // again for what is left (whole ms, so each pass waits at least 1 ms and the loop ends).
      for (let left = at - now; left > 0; left = at - performance.now()) await sleep(Math.ceil(left), signal);
    }
  }
}
