import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { generateMirror, startHttpServer, type GeneratedMirror } from '../../harness';

// A grace far longer than the test: the gate's release (on a request count) always comes first.
vi.mock('../../../electron/engine/gutenberg/nothing-serves', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../electron/engine/gutenberg/nothing-serves')>()),
  NOTHING_SERVES_GRACE_MS: 10 * 60_000,
}));

/**
 * HE s17 finding 2: a mirror that refuses everything for a moment at the start of the job (an origin
 * restarting behind a proxy, a CDN's 503 blip, a rate limit still closed from the previous run) and
 * then serves. Tries alone stopped the job after the first book's 3 tries and the second book's first
 * (~1.5 s at the defaults). The front refuses every request until the second book's first request,
 * then serves: a gate released on a request count, never a timer. Expected: no stop, the first book
 * fails alone, every other book lands.
 */
const BOOKS = Array.from({ length: 12 }, (_, i) => 3000 + i);
const ATTEMPTS = 3;
let work: string;
let gen: GeneratedMirror;
let catalogPath: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'fanout-nothing-serves-grace-'));
  gen = await generateMirror(path.join(work, 'mirror'), BOOKS.map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: 4_000 })));
  catalogPath = path.join(work, 'catalog.csv');
  const rows = BOOKS.map((e) => `${e},Text,2000-01-01,"Book ${e}",en,"Author, Test",Fiction,PR,Shelf`);
  await writeFile(catalogPath, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...rows, ''].join('\n'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

it('503 to every request until the second book is asked for, then served: the job is not stopped, the first book fails alone', async () => {
  const http = await startHttpServer({ root: gen.root });
  const refusedBooks: number[] = [];
  let open = false;
  const front: Server = createServer((req, res) => {
    void (async () => {
      if (!open) {
        const book = Number(/\/(\d+)-0\.txt\b/.exec(req.url ?? '')?.[1] ?? NaN);
        refusedBooks.push(book);
        // The request that stopped the job by tries alone (the second book's first): refused, and the gate opens.
        if (new Set(refusedBooks).size >= 2) open = true;
        res.writeHead(503).end();
        return;
      }
      const answer = await fetch(new URL(req.url ?? '/', http.url), { method: req.method });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}/`;
    // One worker in catalog order: the requests come one at a time, in a certain order.
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: catalogPath, mirror: url, outDir: path.join(work, 'out'), workers: 1, strategy: 'queue', attempts: ATTEMPTS, timeoutMs: 10_000, selection: {} });
    const summary = await runGutenbergJob(spec, createJobControl(() => {}));
    const job = summary.failures.filter((f) => f.item === '(job)');
    expect(job.map((f) => `${f.error.code}: ${f.error.message}`)).toEqual([]);
    // The gate opened where tries alone stopped the job: the first book's 3 tries, the second's first.
    expect(refusedBooks).toEqual([3000, 3000, 3000, 3001]);
    expect(summary.itemsFailed).toBe(1);
    expect(summary.failures.map((f) => f.item)).toEqual([expect.stringContaining('3000')]);
    expect(summary.itemsDone).toBe(BOOKS.length - 1);
  } finally {
    front.closeAllConnections();
    await new Promise<void>((r) => front.close(() => r()));
    await http.stop();
  }
}, 60_000);
