/**
 * HE s17 (finding 2b): a REAL mirror served by a host that answers 404 for a folder URL without an index page
 * (object stores and static hosts: S3/GCS websites, Caddy without browse), whose first books asked
 * for are missing (a mirror lagging behind the catalog: the newest books). wrong-root.ts took the
 * root's 404 as "that folder is not on the server" and stopped the job BAD_INPUT (1 worker: 0 done):
 * every book it holds stayed unfetched. Now a root 404 is `unknown` unless the parent's folder index
 * (here 404 too) shows the folder missing. Expected: the job runs to its end, the missing books fail alone.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHttpServer } from '../../harness';
import { booksFixture, jobErrors, relay, runBooksJob, startFront, type BooksFixture } from './refusing-front';

const BOOKS = Array.from({ length: 41 }, (_, i) => 3000 + i);
const MISSING = new Set([3000, 3001, 3002, 3003]);
let fx: BooksFixture;
beforeAll(async () => {
  fx = await booksFixture('fanout-wrong-root-404-', BOOKS, { mirrorDir: path.join('site', 'gutenberg'), missing: MISSING, sizeBytes: 3_000 });
});
afterAll(async () => {
  await fx.cleanup();
});

it('a real mirror whose host answers 404 for its root folder, the first books missing: runs to its end', async () => {
  const http = await startHttpServer({ root: path.join(fx.work, 'site') });
  // A static host: a folder URL without an index page is 404; files are served.
  const front = await startFront(async (req, res) => {
    if ((req.url ?? '/').endsWith('/')) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>404 Not Found</body></html>');
      return;
    }
    await relay(req, res, http.url);
  });
  try {
    const url = `${front.url}gutenberg/`;
    for (const input of [{ workers: 4, strategy: 'adaptive' }, { workers: 1, strategy: 'queue' }]) {
      const { summary } = await runBooksJob(fx.catalogPath, url, path.join(fx.work, `out-${input.workers}`), input);
      const job = jobErrors(summary);
      console.log(`${input.workers} worker(s): status ${summary.status}; done ${summary.itemsDone}; failed ${summary.itemsFailed}; ${job.join(' | ')}`);
      expect(job).toEqual([]);
      expect(summary.itemsDone).toBe(BOOKS.length - MISSING.size);
    }
  } finally {
    await front.close();
    await http.stop();
  }
}, 120_000);
