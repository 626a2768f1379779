import { FanoutError, abortedError, toFanoutError } from './fanout-error';
import type { WorkerProgress } from './worker-context';
import type { ErrorContext } from '../../../shared/errors';

export interface RetryOptions {
  /** Total attempts, including the first. */
  attempts: number;
  /** First backoff, ms; doubles each time. */
  baseDelayMs?: number;
  /** Cap on one backoff, ms. */
  maxDelayMs?: number;
  signal: AbortSignal;
  progress?: WorkerProgress;
  context?: ErrorContext;
  /** Called before each backoff (e.g. to drop a broken connection so the next attempt reconnects). */
  onRetry?: (err: FanoutError, attempt: number) => void | Promise<void>;
  /** Return true to stop retrying a retryable error at once (the caller handles it another way). */
  giveUp?: (err: FanoutError) => boolean;
}

/** Sleeps `ms`, rejecting with ABORTED as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A Retry-After longer than this is cut to it (a server's "come back tomorrow" fails the item instead of parking a lane for a day). */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * The pause before a retry: the wait the server asked for (`err.retryAfterMs`, shown as the lane's
 * `waiting` state), else a backoff (`retrying`).
 */
export async function pauseBeforeRetry(err: FanoutError, attempt: number, delays: { baseDelayMs: number; maxDelayMs: number }, signal: AbortSignal, progress?: WorkerProgress): Promise<void> {
  if (err.retryAfterMs !== undefined) {
    progress?.setState('waiting');
    await sleep(Math.min(err.retryAfterMs, MAX_RETRY_AFTER_MS), signal);
    return;
  }
  progress?.setState('retrying');
  await sleep(backoffDelay(attempt, delays.baseDelayMs, delays.maxDelayMs), signal);
}

/**
 * Full-jitter exponential backoff (delay uniform in [0, min(max, base·2^n)]): retries from many
 * workers spread out instead of hitting the server in lock-step.
 */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.random() * ceiling;
}

/**
 * Runs `fn`, retrying transient FanoutErrors (see `ERROR_CODES[code].retryable`) with backoff.
 * Permanent errors and aborts are thrown at once, with `context` added.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const base = opts.baseDelayMs ?? 200;
  const max = opts.maxDelayMs ?? 10_000;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal.aborted) throw abortedError(opts.context);
    try {
      return await fn(attempt);
    } catch (raw) {
      const err = opts.signal.aborted ? abortedError(opts.context) : toFanoutError(raw, opts.context ?? {});
      if (!err.retryable || attempt + 1 >= opts.attempts || opts.giveUp?.(err)) throw err;
      if (err.retryAfterMs !== undefined && err.retryAfterMs > MAX_RETRY_AFTER_MS) throw err;
      opts.progress?.countRetry();
      await opts.onRetry?.(err, attempt);
      await pauseBeforeRetry(err, attempt, { baseDelayMs: base, maxDelayMs: max }, opts.signal, opts.progress);
    }
  }
}
