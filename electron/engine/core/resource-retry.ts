import { outOfResources } from './fanout-error';
import { sleep } from './retry';

/**
 * The pauses before the 1st, 2nd and 3rd new try of an operation that met a limit of this process
 * (1.85 s in all). Measured (s17, bundled CLI, 16 FTP workers, 150 books, `prlimit --nofile` 56–72):
 * the open-files peak is short (the scrub threads starting, a burst of books landing beside every
 * worker's sockets and `.part` files); one try after 250 ms got past it where the job had stopped
 * with 0 of 150 done.
 */
export const RESOURCE_RETRY_DELAYS_MS: readonly number[] = [250, 600, 1000];

export interface ResourceRetryOptions {
  /** A cancel ends the pause at once: rejects ABORTED (core/retry's `sleep`); no new try is made. */
  signal?: AbortSignal;
  /** The pauses; their number is the number of new tries. Default `RESOURCE_RETRY_DELAYS_MS`. */
  delaysMs?: readonly number[];
  /** Return false to hand this error on at once although it is a limit (e.g. the input cannot be sent again). */
  canRetry?: (err: unknown) => boolean;
}

/**
 * Runs `fn`, and runs it again after a pause when it failed on a limit of this process or computer
 * (EMFILE, ENFILE, ENOMEM, EAGAIN anywhere in its error's cause chain: `outOfResources`), up to
 * `delaysMs.length` more times. Any other error, a limit still met on the last try, or a cancel is
 * thrown as it is (the raw error: callers map it, e.g. `storageFault` stops the job with
 * OUT_OF_RESOURCES). Only for an operation that is the same whenever it is made and that left
 * nothing behind when it failed so: a file's or folder's `open` (the descriptor is what ran out), a
 * folder's fsync, a scrub (its own atomic writes).
 */
export async function retryOnResourceLimit<T>(fn: (attempt: number) => Promise<T>, opts: ResourceRetryOptions = {}): Promise<T> {
  const delays = opts.delaysMs ?? RESOURCE_RETRY_DELAYS_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const delay = delays[attempt];
      if (delay === undefined || opts.signal?.aborted || outOfResources(err) === null || opts.canRetry?.(err) === false) throw err;
      await sleep(delay, opts.signal);
    }
  }
}
