import type { ErrorContext } from '../../../shared/errors';
import { FanoutError } from './fanout-error';
import type { WorkerContext } from './worker-context';

/** How long one item took, from its first attempt to landing (or failing for good), and what it took. */
export interface ItemTiming {
  /** The item's key (the Gutenberg job: its ebook number). */
  key: number;
  /** False: it failed for good (`ms` is then the time until it was given up). */
  landed: boolean;
  /** From the start of its first attempt to the end of the last (retries and backoff included), ms. */
  ms: number;
  /** Attempts started (1: it landed at the first try). */
  attempts: number;
  /** Attempts cut by the per-item timeout. */
  timedOut: number;
}

/**
 * The per-item timeout (spec `itemTimeoutMs`, the stragglers lab's knob) and each item's clock.
 *
 * Every attempt at an item gets a deadline: when it passes, the attempt's signal aborts, the
 * session gives up its connection as on a cancel (the mirror's `.part` kept, its writes finished
 * before the attempt rejects), and the attempt fails with a retryable TIMEOUT, so the pool tries
 * the item again on a fresh connection: a straggler re-issued rather than waited for. The part
 * resumes only as any retry does (HTTP If-Range, FTP same size and date), so the book is written
 * once, whole. The deadline covers the whole attempt: connecting, and waiting for the job's
 * bandwidth cap, count too. Without a timeout only the clock runs.
 */
export class ItemDeadline {
  readonly #open = new Map<number, { start: number; attempts: number; timedOut: number }>();

  constructor(
    private readonly timeoutMs: number | undefined,
    private readonly onTimed?: (t: ItemTiming) => void,
  ) {}

  /** Runs one attempt at `key` under the deadline; `fn` gets the worker's context with the attempt's signal. */
  async attempt<T>(key: number, ctx: WorkerContext, context: ErrorContext, fn: (ctx: WorkerContext) => Promise<T>): Promise<T> {
    let item = this.#open.get(key);
    if (!item) this.#open.set(key, (item = { start: performance.now(), attempts: 0, timedOut: 0 }));
    item.attempts++;
    const limit = this.timeoutMs;
    if (!limit) return fn(ctx);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), limit);
    try {
      return await fn({ ...ctx, signal: AbortSignal.any([ctx.signal, deadline.signal]) });
    } catch (err) {
      // The job's own cancel stays a cancel; an attempt stopped by its deadline is a TIMEOUT.
      if (!deadline.signal.aborted || ctx.signal.aborted) throw err;
      item.timedOut++;
      throw new FanoutError('TIMEOUT', `Not done within the per-item timeout of ${(limit / 1000).toFixed(limit < 10_000 ? 1 : 0)} s: the attempt was cut (tried again on a new connection while attempts remain)`, context, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Items started together outside `attempt` (a pipelined batch: no deadline there), each on its clock. */
  begin(keys: readonly number[]): void {
    const now = performance.now();
    for (const key of keys) {
      const item = this.#open.get(key);
      if (item) item.attempts++;
      else this.#open.set(key, { start: now, attempts: 1, timedOut: 0 });
    }
  }

  /** The item landed (true) or failed for good: its timing goes to `onTimed`, and it is forgotten (memory: the items in flight). */
  settled(key: number, landed: boolean): void {
    const item = this.#open.get(key);
    if (!item) return;
    this.#open.delete(key);
    this.onTimed?.({ key, landed, ms: performance.now() - item.start, attempts: item.attempts, timedOut: item.timedOut });
  }
}
