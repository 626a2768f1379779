import type { Strategy } from '../../../shared/strategy';
import { BoundedChannel } from './bounded-channel';

/** How workers get their next items under a strategy. */
export interface ItemSource<I> {
  /** The next batch for `workerId`; [] when there is nothing more for it. */
  take(workerId: number, signal: AbortSignal): Promise<I[]>;
  /** Gives items back (a retired worker's unfinished work); another worker will take them. */
  giveBack(items: I[]): void;
  /** Items the source has read so far, and whether the input is exhausted. */
  readonly seen: number;
  readonly exhausted: boolean;
}

/** Smallest batch `adaptive` hands out, and the divisor of guided self-scheduling. */
const ADAPTIVE_FACTOR = 2;
const ADAPTIVE_MAX_BATCH = 64;

/**
 * `queue` and `adaptive`: one bounded shared channel fed from the (possibly streaming) input.
 * `queue` takes one item at a time. `adaptive` takes ceil(remaining / (2·workers)) items — guided
 * self-scheduling: big, cheap batches while the queue is long, single items near the end so no
 * worker is left holding a long tail while others idle.
 */
export class SharedQueueSource<I> implements ItemSource<I> {
  readonly #channel: BoundedChannel<I>;
  readonly #batching: boolean;
  readonly #workers: number;
  readonly #total: number | undefined;
  #seen = 0;
  #taken = 0;
  #exhausted = false;

  constructor(items: AsyncIterable<I> | Iterable<I>, opts: { strategy: Strategy; workers: number; total?: number; capacity?: number; signal: AbortSignal }) {
    this.#batching = opts.strategy === 'adaptive';
    this.#workers = opts.workers;
    this.#total = opts.total;
    this.#channel = new BoundedChannel<I>(opts.capacity ?? Math.max(64, opts.workers * 16));
    void this.#feed(items, opts.signal);
  }

  get seen(): number {
    return this.#seen;
  }

  get exhausted(): boolean {
    return this.#exhausted;
  }

  /** Items read and not yet taken (`--workers auto` stops measuring when fewer than N remain). */
  get queued(): number {
    return this.#channel.size;
  }

  async take(_workerId: number, signal: AbortSignal): Promise<I[]> {
    const batch = await this.#channel.take(this.#batchSize(), signal);
    this.#taken += batch.length;
    return batch;
  }

  giveBack(items: I[]): void {
    this.#taken -= items.length;
    this.#channel.unshift(items);
  }

  #batchSize(): number {
    if (!this.#batching) return 1;
    // Remaining work: exact when the total is known, else what is buffered now (a lower bound).
    const remaining = this.#total !== undefined ? this.#total - this.#taken : this.#exhausted ? this.#channel.size : this.#channel.size + this.#workers;
    return Math.max(1, Math.min(ADAPTIVE_MAX_BATCH, Math.ceil(remaining / (ADAPTIVE_FACTOR * this.#workers))));
  }

  async #feed(items: AsyncIterable<I> | Iterable<I>, signal: AbortSignal): Promise<void> {
    try {
      for await (const item of items) {
        if (signal.aborted) break;
        this.#seen++;
        await this.#channel.push(item, signal);
      }
      this.#exhausted = true;
      this.#channel.close();
    } catch (err) {
      this.#exhausted = true;
      this.#channel.fail(err);
    }
  }
}

/**
 * `split` (and `serial`): the whole list is cut into one contiguous sublist per worker up front, as
 * the classic splitting approach does, with no rebalancing. Items are small descriptors, so holding
 * the list is cheap; this strategy needs it by definition. Work given back by a retired worker goes
 * to a shared overflow that the others drain after their own sublist.
 */
export class SplitSource<I> implements ItemSource<I> {
  readonly #lists: I[][];
  readonly #overflow: I[] = [];
  readonly #seen: number;

  constructor(items: readonly I[], workers: number) {
    this.#seen = items.length;
    const per = Math.ceil(items.length / workers);
    this.#lists = Array.from({ length: workers }, (_, w) => items.slice(w * per, (w + 1) * per));
  }

  get seen(): number {
    return this.#seen;
  }

  get exhausted(): boolean {
    return true;
  }

  async take(workerId: number, signal: AbortSignal): Promise<I[]> {
    if (signal.aborted) return [];
    const own = this.#lists[workerId];
    if (own && own.length > 0) return [own.shift()!];
    return this.#overflow.length > 0 ? [this.#overflow.shift()!] : [];
  }

  giveBack(items: I[]): void {
    this.#overflow.push(...items);
  }

  /** Hands a retired worker's untouched sublist to the others. */
  releaseWorker(workerId: number): void {
    const own = this.#lists[workerId];
    if (own && own.length > 0) this.#overflow.push(...own.splice(0));
  }
}
