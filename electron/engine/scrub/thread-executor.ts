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
  const piscina = new Piscina({
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
  });
  // piscina emits 'error' for what belongs to no task: a reply from a thread it removed because a
  // running task was aborted (seen when a job stopped on DISK_FULL: "Unexpected message from Worker"),
  // a thread dying while idle (replaced), a close timeout. Every task reports its own failure through
  // its promise; without a listener these would be an uncaught exception, crashing the CLI or a host.
  piscina.on('error', () => {});
  return {
    run(input, signal) {
      if (isFileTask(input)) {
        // A raw text handed over with the task (ScrubFileTask.raw): its buffer moved, not copied.
        // A lent buffer is moved whole (and comes back in the result); other bytes are made movable.
        const raw = input.raw ? (input.raw.lent ? input.raw : { ...input.raw, bytes: ownedBytes(input.raw.bytes) }) : undefined;
        const file = raw ? { ...input, raw } : input;
        return piscina.run({ file } satisfies ScrubTask, { ...(raw ? { transferList: [raw.bytes.buffer as ArrayBuffer] } : {}), ...(signal ? { signal } : {}) }) as Promise<WorkerReply>;
      }
      const owned = ownedBytes(input);
      const task: ScrubTask = { bytes: owned };
      return piscina.run(task, { transferList: [owned.buffer], ...(signal ? { signal } : {}) }) as Promise<WorkerReply>;
    },
    queued: () => piscina.queueSize,
    close: () => piscina.destroy(),
  };
}
