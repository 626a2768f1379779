import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JobSummary } from '../../../shared/events';
import { delay, startFtpServer, startHttpServer, startTcpProxy } from '../../harness';
import { gatedMirror } from '../lab/gated-mirror';
import { booksFixture, runBooksJob, startFront, startNginx503, triesPerBook, type BooksFixture } from './refusing-front';

// Tries alone decide here (no grace: nothing-serves-grace.test.ts has the refusal that ends within it).
vi.mock('../../../electron/engine/gutenberg/nothing-serves', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../electron/engine/gutenberg/nothing-serves')>()),
  NOTHING_SERVES_GRACE_MS: 0,
}));

/**
 * "Nothing can succeed": a mirror answering every request with the same refusal (nginx `return 503`,
 * an FTP server whose every login gets 421) stops the job once a book has used all its tries, with
 * one error naming the mirror and the refusal; the other books are not tried one by one (before:
 * 41 books × every attempt, ~54 s). Counted in requests the server saw, never timed. A mirror that
 * refuses some requests while it serves others still runs the job to its end.
 */
const BOOKS = Array.from({ length: 41 }, (_, i) => 3000 + i);
const ATTEMPTS = 3;
let fx: BooksFixture;
let work: string;

beforeAll(async () => {
  fx = await booksFixture('fanout-nothing-serves-', BOOKS);
  work = fx.work;
});
afterAll(async () => {
  await fx.cleanup();
});

const job = (mirror: string, outDir: string, input: Record<string, unknown> = {}) => runBooksJob(fx.catalogPath, mirror, outDir, { attempts: ATTEMPTS, ...input });

/** Stopped on one job-level error naming the mirror and the refusal; no book went through all its tries one by one. */
function expectStopped(r: { summary: JobSummary }, code: string, mirror: RegExp, refusal: string): void {
  expect(r.summary.status).toBe('failed');
  expect(r.summary.itemsDone).toBe(0);
  const job = r.summary.failures.filter((f) => f.item === '(job)');
  expect(job).toHaveLength(1);
  expect(job[0]!.error.code).toBe(code);
  expect(job[0]!.error.message).toMatch(mirror);
  expect(job[0]!.error.message).toContain(refusal);
  expect(job[0]!.error.message).toContain('pending for a re-run');
  // The books not tried to their end are not failed: pending for the re-run.
  expect(r.summary.itemsFailed).toBeLessThan(BOOKS.length / 2);
}

describe('a mirror that serves nothing', () => {
  it('nginx answering 503 to everything: the job stops once a book used its tries, one error naming the host and 503', async () => {
    const nginx = await startNginx503();
    try {
      const outDir = path.join(work, 'nginx-503');
      const r = await job(`${nginx.url}/`, outDir);
      expectStopped(r, 'HTTP_TRANSIENT', new RegExp(`http://127\\.0\\.0\\.1:${new URL(nginx.url).port}`), 'HTTP 503');
      const tries = triesPerBook(await nginx.log());
      const all = [...tries.values()].reduce((a, b) => a + b, 0);
      // Each book gets its tries (one book all of them), none more; far fewer than every book's (41 × 3 = 123).
      expect(Math.max(...tries.values())).toBe(ATTEMPTS);
      expect(all).toBeLessThan(BOOKS.length);
      expect(r.manifest.split('\n').filter(Boolean).length).toBe(r.summary.itemsFailed);
    } finally {
      await nginx.stop();
    }
  });

  it('the same with one worker: the second book refused too stops it (one book alone proves nothing)', async () => {
    const nginx = await startNginx503();
    try {
      const r = await job(`${nginx.url}/`, path.join(work, 'nginx-503-one'), { workers: 1, strategy: 'queue' });
      expectStopped(r, 'HTTP_TRANSIENT', /http:\/\/127\.0\.0\.1/, 'HTTP 503');
      const tries = triesPerBook(await nginx.log());
      // The first book failed on its own after its 3 tries; the second's first refusal stopped the job.
      expect([...tries.values()]).toEqual([ATTEMPTS, 1]);
      expect(r.summary.itemsFailed).toBe(1);
    } finally {
      await nginx.stop();
    }
  });

  it('vsftpd full (421 at every login): the job stops with one TOO_MANY_CONNECTIONS naming FTP 421, not a login per try of every book', async () => {
    const ftp = await startFtpServer({ root: fx.mirror.root, maxPerIp: 1 });
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true });
    // Another client holds the server's only session for this address (greeted 220: not itself
    // refused while vsftpd still counts an earlier session).
    let holder!: net.Socket;
    for (let attempt = 0; ; attempt++) {
      holder = net.connect(ftp.port, '127.0.0.1');
      const greeting = await new Promise<string>((resolve, reject) => {
        holder.once('data', (d) => resolve(String(d)));
        holder.once('error', reject);
      });
      if (greeting.startsWith('220')) break;
      holder.destroy();
      if (attempt === 40) throw new Error(`vsftpd refused the holding session: ${greeting}`);
      await delay(100);
    }
    try {
      const url = ftp.url.replace(/127\.0\.0\.1:\d+/, proxy.hostPort);
      const r = await job(url, path.join(work, 'ftp-421'));
      expectStopped(r, 'TOO_MANY_CONNECTIONS', new RegExp(`ftp://[^ ]*${proxy.hostPort.replace(/\./g, '\\.')}`), 'FTP 421');
      // Before: every book's every try a login (41 × 3). Now: a few per worker.
      expect(proxy.stats.connections).toBeLessThan(BOOKS.length);
    } finally {
      holder.destroy();
      await proxy.stop();
      await ftp.stop();
    }
  });
});

describe('a mirror that answers nothing at all', () => {
  it('a server that takes every connection and never answers: the job stops once a book used its tries, not every book × its timeouts', async () => {
    // Accepts, reads what it is sent, never writes (a hung server; a proxy holding every request).
    const sockets = new Set<net.Socket>();
    const hung = net.createServer((s) => {
      sockets.add(s);
      s.on('data', () => {});
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    });
    let connections = 0;
    hung.on('connection', () => connections++);
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const port = (hung.address() as net.AddressInfo).port;
    try {
      const r = await job(`http://127.0.0.1:${port}/`, path.join(work, 'hung'), { timeoutMs: 500 });
      expectStopped(r, 'TIMEOUT', new RegExp(`http://127\\.0\\.0\\.1:${port}`), 'no answer within the timeout');
      // Before: every book's every try waited its timeout (41 books × 3 tries over 4 connections).
      expect(connections).toBeLessThan(BOOKS.length);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => hung.close(() => r()));
    }
  });
});

describe('a last try refused while another try is in flight', () => {
  it('waits for that try: refused too, the job stops and the book stays pending, not failed (HE s17 #6: fails without the wait)', async () => {
    // A front refusing every request (503) with the order made certain, no timer: book A's first try is
    // refused at once; B's last try waits at the front until A's second try has arrived (A in flight);
    // A's second try is answered (503) only once B's last refusal has been written. The stop rule holds
    // at B's last refusal (B out of tries, two books, all 503), but A is in flight: `track` holds B's
    // failure until A's answer. Without that wait, B failed on its own (a manifest line) before A's
    // refusal stopped the job.
    const [a, b] = [BOOKS[0]!, BOOKS[1]!];
    let aSecondArrived!: () => void;
    const aSecond = new Promise<void>((r) => (aSecondArrived = r));
    let bLastWritten!: () => void;
    const bLast = new Promise<void>((r) => (bLastWritten = r));
    const front = await startFront(async (_req, res, { ebook, n }) => {
      if (ebook === a && n === 2) {
        aSecondArrived();
        await bLast;
      }
      if (ebook === b && n === ATTEMPTS) {
        await aSecond;
        res.writeHead(503).end(() => bLastWritten());
        return;
      }
      res.writeHead(503).end();
    });
    const seen = front.seen;
    try {
      const r = await job(front.url, path.join(work, 'in-flight-wait'), { workers: 2, strategy: 'queue', selection: { ids: [{ from: a, to: b }] } });
      expectStopped(r, 'HTTP_TRANSIENT', /http:\/\/127\.0\.0\.1/, 'HTTP 503');
      expect(seen.get(b)).toBe(ATTEMPTS);
      expect(seen.get(a)).toBe(2);
      // Neither book failed: both stay pending for the re-run.
      expect(r.summary.itemsFailed).toBe(0);
      expect(r.manifest).toBe('');
    } finally {
      await front.close();
    }
  });
});

describe('a mirror that refuses some requests and serves others', () => {
  it('books refused to their last try while another is being served: the job runs to its end, they fail alone', async () => {
    const http = await startHttpServer({ root: fx.mirror.root });
    const [served, ...refused] = BOOKS.slice(0, 3);
    // The served book's request is held (no answer yet, not a byte) until the refused books have had
    // all their tries: every answer so far is a 503 and two books are out of tries. Nothing is
    // answered before it arrived: it is in flight before the first refusal, whatever the machine.
    // This pins `check`'s own in-flight guard (without it: stopped, this fails); the wait in `track`
    // is pinned by 'a last try refused while another try is in flight' above.
    const gate = await gatedMirror(http.url, served!, { othersAfterHeld: true });
    try {
      const fileOf = (ebook: number) => `/${fx.mirror.books.get(ebook)!.files[0]!.relPath}`;
      for (const e of refused) http.hooks.failNext(fileOf(e), ATTEMPTS, 503);
      const selection = { ids: [{ from: served!, to: refused[1]! }] };
      const running = job(gate.url, path.join(work, 'some-refused'), { workers: 3, strategy: 'queue', selection });
      const seen = (e: number) => http.requests.filter((q) => q.path === fileOf(e)).length;
      while (!refused.every((e) => seen(e) >= ATTEMPTS)) await delay(20);
      expect(http.requests.filter((q) => q.path === fileOf(served!))).toEqual([]);
      gate.release();
      const r = await running;
      expect(r.summary.failures.filter((f) => f.item === '(job)')).toEqual([]);
      expect(r.summary.itemsDone).toBe(1);
      expect(r.summary.itemsFailed).toBe(2);
      expect(r.summary.failures.map((f) => f.error.code)).toEqual(['HTTP_TRANSIENT', 'HTTP_TRANSIENT']);
    } finally {
      gate.release();
      await gate.close();
      await http.stop();
    }
  });

  it('429/503 with Retry-After to a few requests while the others are served: every book lands', async () => {
    const http = await startHttpServer({ root: fx.mirror.root });
    try {
      const fileOf = (ebook: number) => `/${fx.mirror.books.get(ebook)!.files[0]!.relPath}`;
      const books = BOOKS.slice(0, 12);
      http.hooks.failNext(fileOf(books[0]!), 2, 503, { 'Retry-After': '1' });
      http.hooks.failNext(fileOf(books[1]!), 2, 429, { 'Retry-After': '1' });
      const r = await job(`${http.url}/`, path.join(work, 'throttled'), { selection: { ids: [{ from: books[0]!, to: books.at(-1)! }] } });
      expect(r.summary.status).toBe('succeeded');
      expect(r.summary.itemsDone).toBe(books.length);
    } finally {
      await http.stop();
    }
  });
});
