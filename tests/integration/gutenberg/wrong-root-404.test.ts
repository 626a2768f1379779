/**
 * HE s17 (finding 2b): a REAL mirror served by a host that answers 404 for a folder URL without an index page
 * (object stores and static hosts: S3/GCS websites, Caddy without browse), whose first books asked
 * for are missing (a mirror lagging behind the catalog: the newest books). wrong-root.ts took the
 * root's 404 as "that folder is not on the server" and stopped the job BAD_INPUT (1 worker: 0 done):
 * every book it holds stayed unfetched. Now a root 404 is `unknown` unless the parent's folder index
 * (here 404 too) shows the folder missing. Expected: the job runs to its end, the missing books fail alone.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { generateMirror, startHttpServer } from '../../harness';

const BOOKS = Array.from({ length: 41 }, (_, i) => 3000 + i);
const MISSING = new Set([3000, 3001, 3002, 3003]);
let work: string;
let catalogPath: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'fanout-wrong-root-404-'));
  await generateMirror(path.join(work, 'site', 'gutenberg'), BOOKS.filter((e) => !MISSING.has(e)).map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: 3_000 })));
  catalogPath = path.join(work, 'catalog.csv');
  const rows = BOOKS.map((e) => `${e},Text,2000-01-01,"Book ${e}",en,"Author, Test",Fiction,PR,Shelf`);
  await writeFile(catalogPath, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...rows, ''].join('\n'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

it('a real mirror whose host answers 404 for its root folder, the first books missing: runs to its end', async () => {
  const http = await startHttpServer({ root: path.join(work, 'site') });
  // A static host: a folder URL without an index page is 404; files are served.
  const front: Server = createServer((req, res) => {
    void (async () => {
      if ((req.url ?? '/').endsWith('/')) {
        res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>404 Not Found</body></html>');
        return;
      }
      const answer = await fetch(new URL(req.url ?? '/', http.url), { method: req.method });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}/gutenberg/`;
    for (const input of [{ workers: 4, strategy: 'adaptive' }, { workers: 1, strategy: 'queue' }]) {
      const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: catalogPath, mirror: url, outDir: path.join(work, `out-${input.workers}`), attempts: 3, timeoutMs: 10_000, selection: {}, ...input });
      const summary = await runGutenbergJob(spec, createJobControl());
      const job = summary.failures.filter((f) => f.item === '(job)');
      console.log(`${input.workers} worker(s): status ${summary.status}; done ${summary.itemsDone}; failed ${summary.itemsFailed}; ${job.map((f) => `${f.error.code}: ${f.error.message}`).join(' | ')}`);
      expect(job).toEqual([]);
      expect(summary.itemsDone).toBe(BOOKS.length - MISSING.size);
    }
  } finally {
    front.closeAllConnections();
    await new Promise<void>((r) => front.close(() => r()));
    await http.stop();
  }
}, 120_000);
