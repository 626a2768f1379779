import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { ownedBytes, type Executor } from './executor';
import { isFileTask, type ScrubTask, type WorkerReply } from './scrub-protocol';
import { siblingScript } from './worker-script';

/**
 * Worker threads through piscina: `size` fixed threads, the input buffer moved to the worker and
 * the cleaned buffer moved back (no copies of book-sized data across the boundary).
 * `maxQueue` is also handed to piscina as a hard limit; the pool facade's gate keeps us below it.
 */
export function createThreadExecutor(size: number, maxQueue: number, concurrentPerWorker = 1): Executor {
  const script = siblingScript('scrub-worker');
  const options = {
    filename: pathToFileURL(script.path).href,
    minThreads: size,
    maxThreads: size,
    maxQueue,
    concurrentTasksPerWorker: concurrentPerWorker,
    idleTimeout: Number.POSITIVE_INFINITY,
    execArgv: script.execArgv,
    // A scrub thread allocates per book and keeps nothing; left to V8 its young generation grew to
    // 16 MB per thread over a 75,000-book job (heapTotal 26 -> 45 MB, heapUsed 10-20 MB): peak RSS
    // 177 -> 228 MB once the threads also wrote the clean files. Capped, 179 MB at the same speed.
    resourceLimits: { maxYoungGenerationSizeMb: 6 },
  };
  /** The pools given up (every thread failed to start with tasks queued), each with why. */
  const stranded = new WeakMap<Piscina, unknown>();
  let closed = false;
  let piscina = start();

  function start(): Piscina {
    const pool = new Piscina(options);
    // piscina emits 'error' for what belongs to no task: a reply from a thread it removed because a
    // running task was aborted (seen when a job stopped on DISK_FULL: "Unexpected message from Worker"),
    // a thread dying while idle (replaced), a thread that could not start, a close timeout. Every task
    // reports its own failure through its promise; without a listener these would be an uncaught
    // exception, crashing the CLI or a host.
    let lastError: unknown = null;
    pool.on('error', (err: unknown) => (lastError = err));
    // A thread that fails while starting (EMFILE: this process at its open-files limit) makes piscina
    // stop starting threads (workerFailsDuringBootstrap): once every thread is gone, the tasks queued
    // behind them are never run and never rejected. Their promises never settled: the CLI ended with
    // Node's exit code 13 (nothing left to wake it), a desktop job would wait for ever. Those tasks
    // now fail with the thread's error (OUT_OF_RESOURCES: the scrub is tried again, the job stops
    // if it persists), on a pool of their own given up; the next task starts a fresh one.
    pool.on('workerDestroy', () => {
      setImmediate(() => {
        if (closed || pool !== piscina || pool.threads.length > 0 || pool.queueSize === 0) return;
        stranded.set(pool, threadStartError(lastError));
        piscina = start();
        void pool.destroy().catch(() => {});
      });
    });
    return pool;
  }

  /** `pool.run`, its error the reason the pool was given up when it was (not piscina's 'Terminating worker thread'). */
  function runOn(pool: Piscina, task: ScrubTask, opts: Parameters<Piscina['run']>[1]): Promise<WorkerReply> {
    return (pool.run(task, opts) as Promise<WorkerReply>).catch((err: unknown) => {
      throw stranded.has(pool) ? stranded.get(pool) : threadStartError(err);
    });
  }

  return {
    run(input, signal) {
      if (isFileTask(input)) {
        // A raw text handed over with the task (ScrubFileTask.raw): its buffer moved, not copied.
        // A lent buffer is moved whole (and comes back in the result); other bytes are made movable.
        const raw = input.raw ? (input.raw.lent ? input.raw : { ...input.raw, bytes: ownedBytes(input.raw.bytes) }) : undefined;
        const file = raw ? { ...input, raw } : input;
        return runOn(piscina, { file } satisfies ScrubTask, { ...(raw ? { transferList: [raw.bytes.buffer as ArrayBuffer] } : {}), ...(signal ? { signal } : {}) });
      }
      const owned = ownedBytes(input);
      const task: ScrubTask = { bytes: owned };
      return runOn(piscina, task, { transferList: [owned.buffer], ...(signal ? { signal } : {}) });
    },
    queued: () => piscina.queueSize,
    close: () => {
      closed = true;
      return piscina.destroy();
    },
  };
}

/**
 * A thread that could not start because this process is at a limit (Node: ERR_WORKER_INIT_FAILED,
 * "Worker initialization failure: EMFILE"): the same error coded EMFILE (or ENFILE, ENOMEM, EAGAIN),
 * so `outOfResources` sees it (it was SCRUB_FAILED, the book failed for good). Any other error as it is.
 */
function threadStartError(err: unknown): unknown {
  const e = err as { code?: unknown; message?: unknown } | null;
  const limit = e?.code === 'ERR_WORKER_INIT_FAILED' && typeof e.message === 'string' ? /\b(EMFILE|ENFILE|ENOMEM|EAGAIN)\b/.exec(e.message)?.[1] : undefined;
  if (!limit) return err ?? new Error('A scrub thread could not start');
  return Object.assign(new Error(`A scrub thread could not start: ${e!.message as string}`, { cause: err }), { code: limit });
}
