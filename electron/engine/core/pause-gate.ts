import { abortedError } from './fanout-error';

/**
 * Pause/resume for a running job. Workers call `wait()` between items (and long transfers may call
 * it between chunks): while paused they park there instead of taking new work.
 */
export class PauseGate {
  #paused = false;
  #waiters = new Set<() => void>();
  #listeners = new Set<(paused: boolean) => void>();

  get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    for (const l of this.#listeners) l(true);
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
    for (const l of this.#listeners) l(false);
  }

  /** Resolves at once when running; otherwise when resumed. Rejects with ABORTED if `signal` fires. */
  wait(signal?: AbortSignal): Promise<void> {
    if (!this.#paused) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortedError());
      const onAbort = () => {
        this.#waiters.delete(done);
        reject(abortedError());
      };
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Called with the new state on every pause/resume; returns an unsubscribe function. */
  onChange(listener: (paused: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
