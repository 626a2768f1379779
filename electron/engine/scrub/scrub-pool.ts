import { performance } from 'node:perf_hooks';
import { FanoutError, abortedError, isAbortError } from '../core/fanout-error';
import { DurationRecorder, type DurationSummary } from './duration-stats';
import type { Executor } from './executor';
import { createProcessExecutor } from './process-executor';
import { isFileTask, type ScrubInput } from './scrub-protocol';
import type { ScrubResult } from './scrub-types';
import { createThreadExecutor } from './thread-executor';

/** How a scrub pool runs its work. */
export interface ScrubPoolOptions {
  /** `threads`: worker threads via piscina (buffers moved). `processes`: forked children (buffers copied). */
  executor: 'threads' | 'processes';
  /** Number of workers (threads or child processes), ≥ 1. */
  size: number;
  /**
   * Tasks that may wait for a free worker, ≥ 1. When that many are waiting, `scrub()` itself
   * waits (backpressure) instead of queueing more bytes in memory.
   */
  maxQueue: number;
  /**
   * Threads only: books a thread may hold at once (default 1). Above 1 for file tasks: a thread
   * cleans the next book while the previous one's clean file is being fsynced. Byte tasks given an
   * AbortSignal run one per thread whatever this is (piscina runs those alone); file tasks are not
   * handed the signal for that reason (see `dispatch`).
   */
  concurrentPerWorker?: number;
}

/** A snapshot of a pool, in the spirit of piscina's own counters. */
export interface ScrubPoolStats {
  executor: ScrubPoolOptions['executor'];
  size: number;
  maxQueue: number;
  /** Books finished (successfully or not) since the pool started. */
  completed: number;
  /** Of those, how many failed or were aborted. */
  failed: number;
  /** Books on a worker right now. */
  running: number;
  /** Books accepted by the executor, waiting for a worker (never more than `maxQueue`). */
  queued: number;
  /** `scrub()` calls held back by backpressure (not yet accepted). */
  waiting: number;
  /** Time inside the scrubber per book, ms. */
  runTime: DurationSummary;
  /** Time from acceptance to result, minus run time (queueing + transfer), ms. */
  waitTime: DurationSummary;
  /** Share of the pool's worker time spent scrubbing since it started, 0..1. */
  utilization: number;
  /** Time since the pool started, ms. */
  elapsedMs: number;
}

export interface ScrubPool {
  /**
   * Cleans one book in a worker. Bytes: the input's buffer may be moved to the worker (then it is
   * detached: do not read it afterwards). Files (`ScrubFileTask`): the worker reads the raw file and
   * writes the clean one (fsynced, renamed; `cleanMtimeMs` set, `clean` empty). Waits while the
   * queue is full. Rejects with FanoutError `ABORTED` when `signal` fires, `SCRUB_FAILED` on any
   * other failure or once closed.
   */
  scrub(input: ScrubInput, opts?: { signal?: AbortSignal }): Promise<ScrubResult>;
  stats(): ScrubPoolStats;
  /** Stops every worker; queued and waiting calls reject with SCRUB_FAILED. Idempotent. */
  close(): Promise<void>;
}

/** Starts a pool of `size` scrub workers. See README.md for threads vs processes. */
export function createScrubPool(options: ScrubPoolOptions): ScrubPool {
  const { executor: kind, size, maxQueue } = options;
  if (!Number.isInteger(size) || size < 1) throw new FanoutError('BAD_INPUT', `size must be an integer ≥ 1, got ${size}`);
  if (!Number.isInteger(maxQueue) || maxQueue < 1) {
    throw new FanoutError('BAD_INPUT', `maxQueue must be an integer ≥ 1, got ${maxQueue}`);
  }
  const executor: Executor = kind === 'threads' ? createThreadExecutor(size, maxQueue, options.concurrentPerWorker ?? 1) : createProcessExecutor(size);
  const started = performance.now();
  const runTime = new DurationRecorder();
  const waitTime = new DurationRecorder();
  let totalRunMs = 0;
  let completed = 0;
  let failed = 0;
  /** Accepted by the executor and not settled: running + queued. */
  let inFlight = 0;
  let closing: Promise<void> | null = null;
  const waiters: Array<{ admit: () => void; fail: (e: unknown) => void }> = [];
  const onAbortOf = abortFanOut();

  const closedError = () => new FanoutError('SCRUB_FAILED', 'The scrub pool is closed');

  /**
   * Hands a book to the executor. Always called synchronously with admission (never after an
   * await), so `inFlight` and the executor's own queue count never disagree, even for a tick.
   */
  function dispatch(input: ScrubInput, signal: AbortSignal | undefined): Promise<ScrubResult> {
    const t0 = performance.now();
    // A file task on a thread is not handed the signal: piscina runs an abortable task alone on its
    // thread, so each thread would wait for a clean file's fsync before starting the next book
    // (`concurrentPerWorker` ignored). Such a task ends by itself within a book's cleaning and write
    // (its file written atomically, its result dropped); the caller still gets ABORTED at once.
    const detached = kind === 'threads' && isFileTask(input);
    // The executor is handed a signal of this task's own, fired by the caller's through the pool's one
    // listener on it (`onAbortOf`), so many books on one signal do not each add a listener to it.
    let taskAbort: AbortController | undefined;
    let unlisten = () => {};
    if (signal && !detached) {
      const own = new AbortController();
      taskAbort = own;
      if (signal.aborted) own.abort();
      else unlisten = onAbortOf(signal, () => own.abort());
    }
    const run = executor.run(input, taskAbort?.signal).then(
      (reply) => {
        unlisten();
        release();
        completed++;
        runTime.record(reply.runMs);
        waitTime.record(Math.max(0, performance.now() - t0 - reply.runMs));
        totalRunMs += reply.runMs;
        if ('result' in reply) return reply.result;
        // A file task's fs call failed in the worker: the errno kept (a full disk stops the job), and
        // the path it named (a folder gone under the job stops it too, storage-fault.ts goneFolder).
        failed++;
        const path = isFileTask(input) ? input.cleanPath : undefined;
        const { message, ...named } = reply.fsError;
        const cause = Object.assign(new Error(message), named);
        throw new FanoutError('WRITE_FAILED', `Write failed: ${reply.fsError.message}`, path ? { path } : {}, { cause });
      },
      (err: unknown) => {
        unlisten();
        release();
        completed++;
        failed++;
        if (signal?.aborted || isAbortError(err)) throw abortedError();
        if (err instanceof FanoutError) throw err;
        const message =
          closing !== null ? 'The scrub pool is closed' : `Cleaning the text failed: ${(err as Error)?.message ?? String(err)}`;
        throw new FanoutError('SCRUB_FAILED', message, {}, { cause: err });
      },
    );
    return detached && signal ? abandonedOnAbort(run, signal, onAbortOf) : run;
  }

  /** Frees a place; the next parked caller takes it over at once (inFlight unchanged). */
  function release(): void {
    const next = waiters.shift();
    if (next !== undefined) next.admit();
    else inFlight--;
  }

  return {
    scrub(input, opts) {
      const signal = opts?.signal;
      if (closing !== null) return Promise.reject(closedError());
      if (signal?.aborted) return Promise.reject(abortedError());
      // Room among `size` running + `maxQueue` queued, and nobody parked ahead of us (FIFO).
      if (inFlight < size + maxQueue && waiters.length === 0) {
        inFlight++;
        return dispatch(input, signal);
      }
      // Backpressure: park the caller; only its promise waits, no task is queued anywhere.
      return new Promise<ScrubResult>((resolve, reject) => {
        const waiter = {
          admit: () => {
            unlisten();
            resolve(dispatch(input, signal));
          },
          fail: (e: unknown) => {
            unlisten();
            reject(e);
          },
        };
        const unlisten = signal
          ? onAbortOf(signal, () => {
              const i = waiters.indexOf(waiter);
              if (i !== -1) waiters.splice(i, 1);
              reject(abortedError());
            })
          : () => {};
        waiters.push(waiter);
      });
    },

    stats() {
      const queued = Math.min(executor.queued(), inFlight);
      // A task whose result is still in a microtask is counted until collected: cap at size.
      const running = Math.min(size, inFlight - queued);
      const elapsedMs = performance.now() - started;
      return {
        executor: kind,
        size,
        maxQueue,
        completed,
        failed,
        running,
        queued,
        waiting: waiters.length,
        runTime: runTime.summary(),
        waitTime: waitTime.summary(),
        utilization: elapsedMs > 0 ? Math.min(1, totalRunMs / (elapsedMs * size)) : 0,
        elapsedMs,
      };
    },

    close() {
      if (closing === null) {
        for (const w of waiters.splice(0)) w.fail(closedError());
        closing = executor.close();
      }
      return closing;
    },
  };
}

/** `run`'s outcome, or ABORTED as soon as `signal` fires (`run` then goes on, its outcome dropped). */
function abandonedOnAbort<T>(run: Promise<T>, signal: AbortSignal, onAbortOf: AbortFanOut): Promise<T> {
  run.catch(() => {}); // may fail after its caller gave up
  if (signal.aborted) return Promise.reject(abortedError());
  return new Promise<T>((resolve, reject) => {
    const unlisten = onAbortOf(signal, () => reject(abortedError()));
    run.then(
      (v) => {
        unlisten();
        resolve(v);
      },
      (e: unknown) => {
        unlisten();
        reject(e);
      },
    );
  });
}

/** Runs `fn` once `signal` fires; returns the call that takes `fn` back. */
type AbortFanOut = (signal: AbortSignal, fn: () => void) => () => void;

/**
 * One 'abort' listener per signal, however many of a pool's books wait on it: a caller handing many
 * books one signal (a job's stop, the scrub lab's) had one listener per book added to it (node warns
 * past 10: 'MaxListenersExceededWarning ... 11 abort listeners added to [AbortSignal]'). The listener
 * is taken off when its last book settles.
 */
function abortFanOut(): AbortFanOut {
  const bySignal = new Map<AbortSignal, { fns: Set<() => void>; listener: () => void }>();
  return (signal, fn) => {
    let entry = bySignal.get(signal);
    if (entry === undefined) {
      const fns = new Set<() => void>();
      const listener = () => {
        bySignal.delete(signal);
        for (const f of fns) f();
      };
      entry = { fns, listener };
      bySignal.set(signal, entry);
      signal.addEventListener('abort', listener, { once: true });
    }
    const { fns, listener } = entry;
    fns.add(fn);
    return () => {
      if (!fns.delete(fn) || fns.size > 0) return;
      if (bySignal.get(signal)?.fns === fns) bySignal.delete(signal);
      signal.removeEventListener('abort', listener);
    };
  };
}
