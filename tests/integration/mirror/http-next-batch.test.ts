import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror, type FetchedBook, type MirrorSession } from '../../../electron/engine/mirror';
import { generateMirror, sha256, startHttpServer, type GeneratedMirror, type HttpServer, type MirrorBookSpec } from '../../harness';
import type { WorkerContext } from '../../../electron/engine/core/worker-context';
import { makeCtx, removeAll, startGateRelay, tempDir } from './helpers';

/**
 * A pipelined HTTP batch tells the pool its connection is free for the worker's next batch
 * (`WorkerContext.received`) once every book's first request is answered: what it still waits for
 * then are follow-ups (a book without `N-0.txt`: its index, then its file), and the connection
 * would idle through their round trips. The next batch's requests then go out on the same
 * connection behind them (two runs on one session's Client). Shown without timing: the follow-up
 * file's body is stalled by the server until the test releases it, so the second batch can only
 * have started, and landed, while the first one was still waiting.
 */
const SPECS: MirrorBookSpec[] = [
  { ebook: 5, files: ['-8.txt', '.txt'], sizeBytes: 10_000 }, // no N-0.txt: 404, index, then 5-8.txt
  { ebook: 2000, files: ['-0.txt'], sizeBytes: 20_000 },
  { ebook: 2001, files: ['-0.txt'], sizeBytes: 20_000 },
];

let work: string;
let gen: GeneratedMirror;

beforeAll(async () => {
  work = await tempDir('http-next-batch');
  gen = await generateMirror(path.join(work, 'mirror'), SPECS);
});
afterAll(async () => {
  await removeAll(work);
});

async function expectExact(r: unknown, ebook: number): Promise<void> {
  expect(r, `ebook ${ebook}`).not.toBeInstanceOf(FanoutError);
  const got = r as FetchedBook;
  const want = gen.books.get(ebook)!.files[0]!;
  expect(got.remoteName).toBe(want.relPath.split('/').pop());
  expect(sha256(await readFile(got.rawPath))).toBe(want.textSha256);
}

/** Waits (bounded: 5 s) until `cond` holds; false if it never did. */
async function until(cond: () => boolean): Promise<boolean> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

describe('HTTP batches: the next one goes out while a miss is followed up', () => {
  let http: HttpServer;
  afterAll(async () => {
    await http?.stop();
  });

  it('says received once the first requests are answered, and a second batch lands on the same connection meanwhile', async () => {
    http = await startHttpServer({ root: gen.root });
    // The server's answers from `GET 5-0.txt` on are held until the client has sent the next batch's
    // `GET 2000-0.txt` (the relay's bound, 5 s, opens them otherwise and counts a time-out): 5's
    // follow-ups are asked for behind it, whatever the machine's speed.
    const gate = await startGateRelay({ targetPort: http.port, from: (t) => t.includes('/0/5/5-0.txt '), until: (t) => t.includes('/2/0/0/2000/2000-0.txt '), boundMs: 5_000 });
    const mirror = openMirror(`http://${gate.hostPort}`, { timeoutMs: 10_000 });
    const s: MirrorSession = mirror.openSession(0);
    const rawDir = path.join(work, 'raw');
    try {
      // Keep-alive learned first (until then one request at a time, nothing pipelined).
      await expectExact(await s.fetchBook(2001, { rawDir, ctx: makeCtx() }), 2001);
      http.hooks.stallBody('/0/5/5-8.txt', 100);
      let received = 0;
      let second: Promise<Array<FetchedBook | FanoutError>> | null = null;
      // The pool's hook (core/worker-context.ts): here it starts the worker's next batch, as the pool does.
      const ctx: WorkerContext = Object.assign(makeCtx(), {
        received: () => {
          received++;
          second ??= s.fetchBooks([2000], { rawDir, ctx: makeCtx(), onFetched: async () => {} });
        },
      });
      let firstSettled = false;
      const first = s.fetchBooks([5], { rawDir, ctx, onFetched: async () => {} }).finally(() => {
        firstSettled = true;
      });
      first.catch(() => {});
      try {
        // The old code said nothing until the batch ended, and that waits on the stalled body.
        expect(await until(() => second !== null)).toBe(true);
        const [r2000] = await second!;
        await expectExact(r2000, 2000);
        // 5's file is still held by the server: the second batch went out and landed meanwhile.
        expect(firstSettled).toBe(false);
      } finally {
        http.hooks.releaseStalls();
      }
      const [r5] = await first;
      await expectExact(r5, 5);
      expect(received).toBe(1);
      expect(gate.timedOut).toBe(0);
      // One connection for all of it (two runs on the session's one Client).
      expect(gate.connections).toBe(1);
      expect(http.requests.map((r) => r.path)).toContain('/0/5/');
    } finally {
      await s.close();
      await mirror.close();
      await gate.stop();
    }
  });

  it("a session's first batch says received once its first answer proved keep-alive (the job's first books go out alone)", async () => {
    const server = await startHttpServer({ root: gen.root });
    // The index's answer is held until the client has sent the next batch's request: 5's file can
    // only be asked for behind it.
    const gate = await startGateRelay({ targetPort: server.port, from: (t) => t.includes('/0/5/ '), until: (t) => t.includes('/2/0/0/2000/2000-0.txt '), boundMs: 5_000 });
    const mirror = openMirror(`http://${gate.hostPort}`, { timeoutMs: 10_000 });
    const s = mirror.openSession(0);
    const rawDir = path.join(work, 'raw-first');
    try {
      server.hooks.stallBody('/0/5/5-8.txt', 100);
      let second: Promise<Array<FetchedBook | FanoutError>> | null = null;
      const ctx: WorkerContext = Object.assign(makeCtx(), {
        received: () => {
          second ??= s.fetchBooks([2000], { rawDir, ctx: makeCtx(), onFetched: async () => {} });
        },
      });
      let firstSettled = false;
      const first = s.fetchBooks([5], { rawDir, ctx, onFetched: async () => {} }).finally(() => {
        firstSettled = true;
      });
      first.catch(() => {});
      try {
        expect(await until(() => second !== null)).toBe(true);
        await expectExact((await second!)[0], 2000);
        expect(firstSettled).toBe(false);
      } finally {
        server.hooks.releaseStalls();
      }
      await expectExact((await first)[0], 5);
      expect(gate.timedOut).toBe(0);
      expect(gate.connections).toBe(1);
    } finally {
      await s.close();
      await mirror.close();
      await gate.stop();
      await server.stop();
    }
  });

  it('says nothing to a server that closes after each response (no pipelining: the batch runs as before)', async () => {
    const closing = await startHttpServer({ root: gen.root, closeAfterResponse: true });
    const mirror = openMirror(closing.url, { timeoutMs: 10_000 });
    const s = mirror.openSession(0);
    const rawDir = path.join(work, 'raw-closing');
    try {
      let received = 0;
      const ctx: WorkerContext = Object.assign(makeCtx(), { received: () => received++ });
      const results = await s.fetchBooks([2001, 5, 2000], { rawDir, ctx, onFetched: async () => {} });
      await expectExact(results[0], 2001);
      await expectExact(results[1], 5);
      await expectExact(results[2], 2000);
      expect(received).toBe(0);
    } finally {
      await s.close();
      await mirror.close();
      await closing.stop();
    }
  });
});
