/**
 * A FIFO with a fixed capacity: `push` waits while it is full (backpressure on the producer),
 * `take` waits while it is empty. Memory stays bounded however long the input is.
 */
export class BoundedChannel<T> {
  readonly capacity: number;
  #buffer: T[] = [];
  #closed = false;
  #error: unknown = null;
  #takers: Array<() => void> = [];
  #pushers: Array<() => void> = [];

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
    this.capacity = capacity;
  }

  get size(): number {
    return this.#buffer.length;
  }

  /** True once closed and drained: nothing more will ever come out. */
  get done(): boolean {
    return this.#closed && this.#buffer.length === 0;
  }

  async push(item: T, signal?: AbortSignal): Promise<void> {
    while (this.#buffer.length >= this.capacity && !this.#closed) {
      await this.#park(this.#pushers, signal);
      if (signal?.aborted) return;
    }
    if (this.#closed) throw new Error('push on a closed channel');
    this.#buffer.push(item);
    this.#wake(this.#takers);
  }

  /** Puts items back at the front, ignoring the capacity (they were already counted against it). */
  unshift(items: readonly T[]): void {
    this.#buffer.unshift(...items);
    this.#wake(this.#takers, items.length);
  }

  /**
   * Takes up to `max` items (at least one), waiting while empty. Returns [] once closed and
   * drained. Rethrows the producer's error, if it failed.
   */
  async take(max = 1, signal?: AbortSignal): Promise<T[]> {
    while (this.#buffer.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#closed || signal?.aborted) return [];
      await this.#park(this.#takers, signal);
    }
    const items = this.#buffer.splice(0, Math.max(1, max));
    this.#wake(this.#pushers, items.length);
    return items;
  }

  close(): void {
    this.#closed = true;
    this.#wake(this.#takers, Infinity);
    this.#wake(this.#pushers, Infinity);
  }

  /** Ends the channel with an error: every waiting and later `take` rejects with it. */
  fail(error: unknown): void {
    this.#error = error;
    this.close();
  }

  /** Waits in `queue` until woken or aborted, leaving no listener behind. */
  #park(queue: Array<() => void>, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        const i = queue.indexOf(done);
        if (i >= 0) queue.splice(i, 1);
        resolve();
      };
      queue.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  #wake(queue: Array<() => void>, n = 1): void {
    for (let i = 0; i < n && queue.length > 0; i++) queue.shift()!();
  }
}
