import type { ScrubPool, ScrubPoolOptions } from '../scrub/scrub-pool';
import type { ScrubInput } from '../scrub/scrub-protocol';
import type { ScrubResult } from '../scrub/scrub-types';

/**
 * A job's use of a scrub pool: started on first need (`warm()` or the first book), and, for
 * worker threads, kept warm between the jobs of one process (the desktop app, the web host, a
 * benchmark) instead of started and stopped per job.
 *
 * Why (docs/BENCHMARKS.md, Gutenberg): each new worker thread boots a Node isolate and compiles
 * the scrub code again (~60 ms CPU per thread from the build, ~250 ms under tsx), about a fifth of
 * a 200-book job's CPU at N = 8; and started with the job they competed with its first request.
 * Idle piscina threads hold neither the event loop (piscina unrefs them) nor memory beyond their
 * isolate, and an idle pool is closed after KEEP_WARM_MS. Child processes (`processes`) stay per
 * job: an idle child would keep the process alive.
 */
export interface ScrubPoolLease {
  /** Starts the pool's workers now (idempotent), e.g. once the job's first requests are out. */
  warm(): void;
  scrub(input: ScrubInput, opts?: { signal?: AbortSignal }): Promise<ScrubResult>;
  /** The job is done with it: a per-job pool is closed, a shared one left warm for the next job. */
  release(): Promise<void>;
}

/** How long an unused shared pool stays up (a timer that does not hold the process open). */
export const KEEP_WARM_MS = 30_000;

interface SharedPool {
  key: string;
  pool: ScrubPool;
  users: number;
  idle: NodeJS.Timeout | null;
}

/** The one shared threads pool of this process (one size at a time; another size gets its own per-job pool). */
let shared: SharedPool | null = null;

type CreatePool = (o: ScrubPoolOptions) => ScrubPool;
/** The pool module (and piscina), loaded when the first pool starts, not with the job's modules. */
let createDefault: CreatePool | null = null;
/** The executors whose worker script is ready (from the sources: bundled, worker-script.ts `prepareSiblingScript`). */
const prepared = new Set<ScrubPoolOptions['executor']>();
/** The loads under way, by executor (one each, however many books ask meanwhile). */
const loading = new Map<ScrubPoolOptions['executor'], Promise<void>>();
const loadCreate = (executor: ScrubPoolOptions['executor']): Promise<void> => {
  let load = loading.get(executor);
  if (load === undefined) {
    load = Promise.all([
      import('../scrub/scrub-pool'),
      import('../scrub/worker-script').then((w) => w.prepareSiblingScript(executor === 'threads' ? 'scrub-worker' : 'scrub-child')),
    ]).then(
      ([pool]) => {
        createDefault ??= pool.createScrubPool;
        prepared.add(executor);
        loading.delete(executor);
      },
      (err: unknown) => {
        loading.delete(executor); // tried again by the next book
        throw err;
      },
    );
    loading.set(executor, load);
  }
  return load;
};

/** `createPool` is for tests (counting the pools started; then nothing is loaded). */
export function leaseScrubPool(options: ScrubPoolOptions, createPool?: CreatePool): ScrubPoolLease {
  /** Null when the pool can be made now; else the module load to wait for. */
  const ready = (): Promise<void> | null => (createPool || (createDefault && prepared.has(options.executor)) ? null : loadCreate(options.executor));
  const create = (o: ScrubPoolOptions): ScrubPool => (createPool ?? createDefault!)(o);
  // The module is loaded now, at the job's start, not when the first book's connect is out: under a
  // low open-files limit (nofile 56, 16 workers) its import met EMFILE once the sockets were open,
  // which the ESM resolver reports as "Cannot find package piscina": every book SCRUB_FAILED.
  if (!createPool && !(createDefault && prepared.has(options.executor))) void loadCreate(options.executor).catch(() => {}); // a failed load surfaces in scrub()
  const key = `${options.executor}/${options.size}/${options.maxQueue}/${options.concurrentPerWorker ?? 1}`;
  let pool: ScrubPool | null = null;
  let entry: SharedPool | null = null;
  let released = false;

  const get = (): ScrubPool => {
    if (pool) return pool;
    // Another size in use by a running job: this job gets its own pool.
    if (options.executor !== 'threads' || (shared !== null && shared.key !== key && shared.users > 0)) return (pool = create(options));
    if (shared !== null && shared.key !== key) void closeSharedScrubPool();
    if (shared === null) shared = { key, pool: create(options), users: 0, idle: null };
    entry = shared;
    entry.users++;
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = null;
    return (pool = entry.pool);
  };

  return {
    warm: () => {
      if (released) return;
      const loading = ready();
      if (!loading) get();
      else void loading.then(() => !released && get(), () => {}); // a failed load surfaces in scrub()
    },
    scrub: async (input, opts) => {
      if (!released) await ready();
      if (released) throw new Error('scrub pool lease released');
      return get().scrub(input, opts);
    },
    release: async () => {
      if (released) return;
      released = true;
      if (!pool) return;
      if (!entry) return pool.close();
      const mine = entry;
      if (--mine.users > 0) return;
      mine.idle = setTimeout(() => {
        if (shared === mine) shared = null;
        void mine.pool.close();
      }, KEEP_WARM_MS);
      mine.idle.unref();
    },
  };
}

/** Closes the shared pool now (tests; a host shutting down). */
export async function closeSharedScrubPool(): Promise<void> {
  const s = shared;
  shared = null;
  if (!s) return;
  if (s.idle) clearTimeout(s.idle);
  await s.pool.close();
}
