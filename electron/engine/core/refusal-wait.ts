import { abortedError } from './fanout-error';
import { sleep } from './retry';

/** Longest a refused worker waits for another session to be served before it knocks again, ms. */
export const REFUSAL_WAIT_MS = 10_000;
/**
 * Longest auto's reading of a refusal waits for the other workers to show whether they hold a
 * connection, ms: their first items end within ~0.5 s under load; a worker waiting for items (the
 * queue's tail) shows nothing, and the reading then takes what is proven.
 */
export const READING_WAIT_MS = 1_000;

/**
 * Workers refused a connection before anyone was served (all logging in at once), waiting to
 * learn whether the refusal was the server's limit (another session gets served: the refused one
 * retires) or a server still full of other sessions (all of them are refused: they back off and
 * try again). See run-pool.ts.
 */
export class RefusalWaits {
  readonly #firstServed: Promise<void>;
  #markServed!: () => void;
  #waiting = 0;
  readonly #wakers = new Set<() => void>();
  readonly #checks = new Set<() => void>();

  /** `alive`: the workers running now (when all of them wait, none will be served). */
  constructor(
    private readonly alive: () => number,
    private readonly maxWaitMs = REFUSAL_WAIT_MS,
  ) {
    this.#firstServed = new Promise<void>((resolve) => (this.#markServed = resolve));
  }

  /** Some session was served (an item finished, done or failed). */
  served(): void {
    this.#markServed();
  }

  /** Wakes the waiters once every alive worker waits (call when a worker ends too). */
  wakeIfAllWaiting(): void {
    if (this.#waiting > 0 && this.#waiting >= this.alive()) for (const wake of this.#wakers) wake();
  }

  /** Something `until`'s conditions read changed (a session proved itself, was refused, or ended). */
  changed(): void {
    for (const check of this.#checks) check();
  }

  /**
   * Waits until `shown()` holds (re-read at each `changed()`), or `maxWaitMs` (1 s): auto reads a refusal
   * as the server's limit once the other sessions have shown whether they hold a connection.
   */
  async until(shown: () => boolean, signal: AbortSignal, maxWaitMs = READING_WAIT_MS): Promise<void> {
    if (shown()) return;
    const done = new AbortController();
    let check!: () => void;
    const held = new Promise<void>((resolve) => (check = () => shown() && resolve()));
    this.#checks.add(check);
    try {
      await Promise.race([held, sleep(maxWaitMs, AbortSignal.any([signal, done.signal])).catch(() => {})]);
    } finally {
      this.#checks.delete(check);
      done.abort();
    }
    if (signal.aborted) throw abortedError();
  }

  /** Waits until a session is served, every worker waits, or `maxWaitMs`; its timer is cleared either way. */
  async wait(signal: AbortSignal): Promise<void> {
    const done = new AbortController();
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    this.#wakers.add(wake);
    this.#waiting++;
    try {
      this.wakeIfAllWaiting();
      await Promise.race([this.#firstServed, woken, sleep(this.maxWaitMs, AbortSignal.any([signal, done.signal])).catch(() => {})]);
    } finally {
      this.#waiting--;
      this.#wakers.delete(wake);
      done.abort();
    }
    if (signal.aborted) throw abortedError();
  }
}
