import { availableParallelism } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeSharedScrubPool } from '../../../electron/engine/gutenberg/scrub-pool-lease';
import { startHttpServer } from '../../harness';
import { booksFixture, runBooksJob, type BooksFixture } from './refusing-front';

/** The sizes of the scrub pools the jobs asked for, in order. */
const sizes = vi.hoisted(() => [] as number[]);
vi.mock('../../../electron/engine/gutenberg/scrub-pool-lease', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../electron/engine/gutenberg/scrub-pool-lease')>();
  return {
    ...real,
    leaseScrubPool: (...args: Parameters<typeof real.leaseScrubPool>) => {
      sizes.push(args[0].size);
      return real.leaseScrubPool(...args);
    },
  };
});

/**
 * A job starts no more scrub threads than it has books: a one-book job started one per core (up
 * to 4), each booting a Node isolate and the scrub code (~60 ms CPU from the build) beside its one
 * book on the same cores (bench:startup's one-book job, CPU to the book landed: 580 -> 510 ms with one).
 */
let fx: BooksFixture;
let url = '';
const stops: Array<() => Promise<void>> = [];
beforeAll(async () => {
  fx = await booksFixture('fanout-scrub-threads-for-books-', [4200, 4201, 4202, 4203, 4204]);
  const http = await startHttpServer({ root: fx.mirror.root });
  stops.push(() => http.stop());
  url = `${http.url}/`;
}, 60_000);
afterAll(async () => {
  await Promise.allSettled(stops.map((s) => s()));
  await closeSharedScrubPool();
  await fx?.cleanup();
});

describe('scrub threads for a job', () => {
  const perCore = Math.min(4, Math.max(1, availableParallelism()));
  it.each([
    [1, Math.min(perCore, 1)],
    [2, Math.min(perCore, 2)],
    [5, perCore],
  ])('%i book(s): min(4, cores, books) threads', async (books, expected) => {
    sizes.length = 0;
    const job = await runBooksJob(fx.catalogPath, url, path.join(fx.work, `out-${books}`), books < 5 ? { selection: { limit: books } } : {});
    expect(job.summary.status).toBe('succeeded');
    expect(job.summary.itemsDone).toBe(books);
    expect(sizes).toEqual([expected]);
  }, 60_000);

  it('--scrub-workers is taken as asked, whatever the books', async () => {
    sizes.length = 0;
    const job = await runBooksJob(fx.catalogPath, url, path.join(fx.work, 'out-asked'), { selection: { limit: 1 }, scrubWorkers: 3 });
    expect(job.summary.status).toBe('succeeded');
    expect(sizes).toEqual([3]);
  }, 60_000);
});
