import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHttpServer } from '../../harness';
import { booksFixture, jobErrors, relay, runBooksJob, startFront, startNginx503, triesPerBook, type BooksFixture } from './refusing-front';

// A short grace (the real one is 30 s): no outcome below depends on its length, only the test's time.
const { GRACE_MS } = vi.hoisted(() => ({ GRACE_MS: 1_500 }));
vi.mock('../../../electron/engine/gutenberg/nothing-serves', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../electron/engine/gutenberg/nothing-serves')>()),
  NOTHING_SERVES_GRACE_MS: GRACE_MS,
}));

/**
 * The grace of "nothing serves" (nothing-serves.ts): a refusal must have lasted it before the job
 * stops, so that a blip at the start (an origin restarting behind a proxy, a CDN's 503, a rate limit
 * still closed) is no stop (HE s17 finding 2). While it runs, new books and books' last tries wait
 * (they neither start nor fail) until something is served or it is over: a blip fails no book, and a
 * mirror refusing everything stops with one error, every book pending (s18: before, a job of a few
 * books failed each of them within the grace and ended with no job error).
 */
const BOOKS = Array.from({ length: 41 }, (_, i) => 3000 + i);
const ATTEMPTS = 3;
let fx: BooksFixture;
beforeAll(async () => {
  fx = await booksFixture('fanout-nothing-serves-grace-', BOOKS);
});
afterAll(async () => {
  await fx.cleanup();
});

describe('a refusal that ends within the grace', () => {
  it('503 to every request for the grace, then served: no stop, no book failed (the first book\'s last try waits for the grace)', async () => {
    const http = await startHttpServer({ root: fx.mirror.root });
    const refused: number[] = [];
    let firstRefusal: number | undefined;
    // Closed until the grace has passed since its first refusal, by the front's clock: the job's grace
    // counts from the answer's arrival, later, so a try held for the grace is surely served.
    const front = await startFront(async (req, res, { ebook }) => {
      const now = performance.now();
      if (firstRefusal === undefined || now - firstRefusal < GRACE_MS) {
        firstRefusal ??= now;
        refused.push(ebook);
        res.writeHead(503).end();
        return;
      }
      await relay(req, res, http.url);
    });
    try {
      const books = BOOKS.slice(0, 12);
      // One worker in catalog order: the requests come one at a time, in a certain order.
      const r = await runBooksJob(fx.catalogPath, front.url, path.join(fx.work, 'blip'), { workers: 1, strategy: 'queue', attempts: ATTEMPTS, selection: { ids: [{ from: books[0]!, to: books.at(-1)! }] } });
      expect(jobErrors(r.summary)).toEqual([]);
      // Only the first book was refused (the next ones waited), never its last try.
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.length).toBeLessThan(ATTEMPTS);
      expect(new Set(refused)).toEqual(new Set([books[0]]));
      expect(r.summary.itemsFailed).toBe(0);
      expect(r.summary.itemsDone).toBe(books.length);
      // What the held lane waited for, said once (its lane read 'waiting', and nothing said why).
      const warnings = r.events.flatMap((e) => (e.kind === 'job:warning' ? [e.message] : []));
      expect(warnings).toEqual([expect.stringMatching(/: every request so far was refused \(HTTP 503\): new books and last tries wait up to \d+ s for the mirror to serve again, then the job stops$/)]);
    } finally {
      await front.close();
      await http.stop();
    }
  }, 60_000);
});

describe('a mirror refusing everything for longer than the grace', () => {
  it('nginx 503 to everything, 41 books at 4 workers: one error naming the mirror and the 503, no book failed', async () => {
    const nginx = await startNginx503();
    try {
      const r = await runBooksJob(fx.catalogPath, `${nginx.url}/`, path.join(fx.work, 'nginx-41'), { attempts: ATTEMPTS });
      expect(jobErrors(r.summary)).toEqual([expect.stringMatching(new RegExp(`^HTTP_TRANSIENT: http://127\\.0\\.0\\.1:${new URL(nginx.url).port}/: every request so far got HTTP 503`))]);
      expect(r.summary.itemsDone).toBe(0);
      expect(r.summary.itemsFailed).toBe(0);
      expect(r.manifest).toBe('');
      // No book was tried more than its attempts; the books not started wait for the re-run.
      const tries = triesPerBook(await nginx.log());
      expect(Math.max(...tries.values())).toBeLessThanOrEqual(ATTEMPTS);
      expect(tries.size).toBeLessThan(BOOKS.length);
    } finally {
      await nginx.stop();
    }
  }, 60_000);

  it('a small job (3 books, 4 workers): one stop, not each book failed', async () => {
    const nginx = await startNginx503();
    try {
      const r = await runBooksJob(fx.catalogPath, `${nginx.url}/`, path.join(fx.work, 'nginx-3'), { attempts: ATTEMPTS, selection: { ids: [{ from: BOOKS[0]!, to: BOOKS[2]! }] } });
      expect(jobErrors(r.summary)).toEqual([expect.stringMatching(/^HTTP_TRANSIENT: .*every request so far got HTTP 503.*pending for a re-run\.$/)]);
      expect(r.summary.itemsFailed).toBe(0);
      expect(r.manifest).toBe('');
    } finally {
      await nginx.stop();
    }
  }, 60_000);
});
