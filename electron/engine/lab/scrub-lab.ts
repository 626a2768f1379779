/**
 * The scrub lab: the same books cleaned by a pool of N worker threads, and by N child processes,
 * for each N; the CPU-bound half of "I/O-bound vs CPU-bound" (issue 11). Each cell starts its own
 * pool and sends it one tiny book per worker before the clock starts, so a cell's time is mostly the
 * cleaning (and, for processes, the copies over IPC), not the start-up of threads or children.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabPoint } from '../../../shared/ipc';
import { abortedError } from '../core/fanout-error';
import { median } from '../../../shared/median';
import { createScrubPool } from '../scrub/scrub-pool';
import { prepareSiblingScript } from '../scrub/worker-script';

export type ScrubExecutorKind = 'threads' | 'processes';

export interface ScrubLabRequest {
  /** The raw books, read once. */
  books: readonly Buffer[];
  executors: readonly ScrubExecutorKind[];
  workerCounts: readonly number[];
  repeats: number;
  signal?: AbortSignal;
  onPoint?: (p: LabPoint, done: number, cells: number) => void;
}

/** What is wrong with a scrub lab's input folder (missing, a file), or null. */
export async function scrubInputProblem(dir: string): Promise<string | null> {
  const kind = await stat(dir).then((s) => (s.isDirectory() ? 'dir' : 'file'), () => 'missing');
  return kind === 'dir' ? null : kind === 'missing' ? 'no such folder; check the path' : 'is a file, not a folder; give a folder';
}

/** Said of an input folder in which `readSampleBooks` found nothing. */
export const NO_SAMPLE_BOOKS = 'holds no .txt file; give a folder of raw books';

/** The first `limit` files under `dir` whose names end in .txt (sorted by path, so a re-run takes the same books). */
export async function readSampleBooks(dir: string, limit: number): Promise<Buffer[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const paths = entries.filter((e) => e.isFile() && e.name.endsWith('.txt')).map((e) => join(e.parentPath, e.name)).sort().slice(0, limit);
  return Promise.all(paths.map((p) => readFile(p)));
}

/** A book small enough to be nothing but the round trip: each worker gets one before the clock starts. */
const WARM_UP = Buffer.from('*** START OF THE PROJECT GUTENBERG EBOOK X ***\nwarm\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n');

export async function runScrubLab(req: ScrubLabRequest): Promise<LabPoint[]> {
  const counts = [...new Set(req.workerCounts)].sort((a, b) => a - b);
  const cells = req.executors.flatMap((executor) => counts.map((workers) => ({ executor, workers })));
  const bytes = req.books.reduce((n, b) => n + b.length, 0);
  const points: LabPoint[] = [];
  // From the sources, each pool's threads (children) start from one bundled script, not tsx's loader.
  for (const executor of new Set(req.executors)) await prepareSiblingScript(executor === 'threads' ? 'scrub-worker' : 'scrub-child');
  for (const { executor, workers } of cells) {
    const wallMs: number[] = [];
    let done = 0;
    let failed = 0;
    for (let r = 0; r < req.repeats; r++) {
      if (req.signal?.aborted) throw abortedError();
      const pool = createScrubPool({ executor, size: workers, maxQueue: workers });
      try {
        await Promise.all(Array.from({ length: workers }, () => pool.scrub(Buffer.from(WARM_UP), { signal: req.signal })));
        // The thread pool may move (detach) its input: each run scrubs its own copies, made before the clock.
        const copies = req.books.map((b) => Uint8Array.from(b));
        const t0 = performance.now();
        const results = await Promise.allSettled(copies.map((b) => pool.scrub(b, { signal: req.signal })));
        wallMs.push(performance.now() - t0);
        if (req.signal?.aborted) throw abortedError();
        done = results.filter((x) => x.status === 'fulfilled').length;
        failed = results.length - done;
      } finally {
        await pool.close();
      }
    }
    // A pool is one shared queue: the cells are `queue` cells, told apart by executor.
    const point: LabPoint = { strategy: 'queue', scrubExecutor: executor, workers, wallMs, medianMs: median(wallMs), itemsDone: done, itemsFailed: failed, bytes };
    points.push(point);
    req.onPoint?.(point, points.length, cells.length);
  }
  return points;
}

// How the scrub lab names its curves, shared with the UI (shared/lab/lab-labels.ts).
export { scrubLabLabel } from '../../../shared/lab/lab-labels';
