/**
 * A job's bandwidth cap: one token bucket shared by every connection of the job (FTP data and HTTP
 * bodies alike), its rate changeable while the job runs.
 *
 * Hand-written rather than an npm bucket (`limiter`, `stream-throttle`, `bottleneck` were
 * considered): we need the rate changed live with the change felt by the bytes already waiting
 * (not after their timers), waiters served in arrival order across all connections (one
 * connection must not starve the others), chunks larger than the bucket (64 KiB socket reads at a
 * 10 KB/s cap), and no cost at all when uncapped. `limiter` re-reads none of its settings once
 * waiting and rejects a request above the bucket size; the stream throttles are per stream.
 *
 * The model: tokens accrue at `rate` per second up to `burst` (a quarter second's worth); a take
 * may drive the balance below zero (a debt), and the next take waits until the debt is repaid.
 * Over any window T the bytes let through are at most rate × T + burst + one chunk per connection.
 */
export class Bandwidth {
  #rate: number | null;
  #tokens = 0;
  #last = performance.now();
  readonly #waiting: Array<{ bytes: number; go: () => void }> = [];
  #timer: NodeJS.Timeout | null = null;
  readonly #listeners = new Set<(rate: number | null) => void>();

  /** `bytesPerSecond` null (or 0): no cap. */
  constructor(bytesPerSecond: number | null = null) {
    this.#rate = normalRate(bytesPerSecond);
    this.#tokens = this.#burst();
  }

  /** The cap in force, bytes per second, or null. */
  get rate(): number | null {
    return this.#rate;
  }

  /** Changes the cap (null: none). Bytes already waiting are released on the new rate at once. */
  setRate(bytesPerSecond: number | null): void {
    this.#refill();
    this.#rate = normalRate(bytesPerSecond);
    this.#tokens = Math.min(this.#tokens, this.#burst());
    this.#reschedule();
    for (const listener of this.#listeners) listener(this.#rate);
  }

  /** Called with each new cap (for a host that shows it); returns the unsubscribe. */
  onChange(listener: (rate: number | null) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * `bytes` arrived: null when they may go on at once (the common, allocation-free case), else a
   * promise that resolves when the cap allows them. Once `signal` fires (the job stops) they go at
   * once and leave the queue: a cancelled job's transfers do not wait out their debt.
   */
  take(bytes: number, signal?: AbortSignal): Promise<void> | null {
    if (this.#rate === null || signal?.aborted) return null;
    this.#refill();
    if (this.#waiting.length === 0 && this.#tokens >= 0) {
      this.#tokens -= bytes;
      return null;
    }
    return new Promise<void>((resolve) => {
      const waiter = { bytes, go: resolve };
      if (signal) {
        const onAbort = () => {
          const at = this.#waiting.indexOf(waiter);
          if (at >= 0) this.#waiting.splice(at, 1);
          this.#reschedule();
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.go = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      }
      this.#waiting.push(waiter);
      this.#reschedule();
    });
  }

  #burst(): number {
    return this.#rate === null ? 0 : this.#rate / 4;
  }

  #refill(): void {
    const now = performance.now();
    if (this.#rate !== null) this.#tokens = Math.min(this.#burst(), this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
  }

  /** Releases the waiters the balance allows; sets a timer for when the next one may go. */
  #reschedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    while (this.#waiting.length > 0 && (this.#rate === null || this.#tokens >= 0)) {
      const next = this.#waiting.shift()!;
      if (this.#rate !== null) this.#tokens -= next.bytes;
      next.go();
    }
    if (this.#waiting.length === 0 || this.#rate === null) return;
    const ms = Math.max(1, Math.ceil((-this.#tokens / this.#rate) * 1000));
    this.#timer = setTimeout(() => {
      this.#refill();
      this.#reschedule();
    }, ms);
    // Not unref'd: the transfers waiting here need not hold the process alive themselves (an HTTP
    // body received whole leaves its socket idle, and undici unrefs idle sockets): a CLI whose only
    // work left was this timer ended mid-job with node's exit code 13 (unsettled top-level await).
  }
}

function normalRate(bytesPerSecond: number | null): number | null {
  return bytesPerSecond && bytesPerSecond > 0 && Number.isFinite(bytesPerSecond) ? bytesPerSecond : null;
}
