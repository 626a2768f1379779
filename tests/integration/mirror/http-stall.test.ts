/**
 * Stall timeout on HTTP bodies: a body that stops, or trickles (so undici's idle `bodyTimeout`
 * never fires), is cut after the stall window; the book is retryable and the next attempt
 * completes it (resuming the part).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { sendRequest } from '../../../electron/engine/mirror/http-response';
import { openMirror, type Mirror } from '../../../electron/engine/mirror';
import { generateMirror, sha256, startHttpServer, startTcpProxy, type GeneratedMirror, type HttpServer } from '../../harness';
import { generatedFile, listFiles, makeCtx, removeAll, tempDir } from './helpers';

let work: string;
let gen: GeneratedMirror;
let server: HttpServer;
let mirror: Mirror;

const BIG = 3000; // 400 KB
const PATH = '/3/0/0/3000/3000-0.txt';

beforeAll(async () => {
  work = await tempDir('http-stall');
  gen = await generateMirror(path.join(work, 'mirror'), [
    { ebook: BIG, files: ['-0.txt'], sizeBytes: 400_000 },
    ...[3001, 3002, 3003].map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: 20_000 })),
  ]);
  server = await startHttpServer({ root: gen.root });
  // The idle timeout is long: only the stall rule can end these bodies early.
  mirror = openMirror(server.url, { timeoutMs: 20_000, stallTimeoutMs: 300 });
});
afterAll(async () => {
  await mirror?.close();
  await server?.stop();
  await removeAll(work);
});
beforeEach(() => server.hooks.clear());

describe.each([
  ['stops', undefined],
  ['trickles (a byte every 20 ms)', 20],
] as const)('an HTTP body that %s', (_label, trickleMs) => {
  it('is cut as TIMEOUT (retryable), the part kept, and the next attempt resumes it to the exact file', async () => {
    const raw = path.join(work, `raw-${trickleMs ?? 'stop'}`);
    server.hooks.stallBody(PATH, 100_000, trickleMs === undefined ? {} : { trickleMs });
    const s = mirror.openSession(0);
    try {
      const err = await s.fetchBook(BIG, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FanoutError);
      expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true, context: { ebook: BIG, path: PATH } });
      expect((err as FanoutError).message).toMatch(/No progress/);
      expect((await listFiles(raw)).some((f) => f.endsWith('.part'))).toBe(true);

      const ok = await s.fetchBook(BIG, { rawDir: raw, ctx: makeCtx() });
      expect(ok.resumedFrom).toBeGreaterThan(0);
      expect(ok.sha256).toBe(generatedFile(gen, BIG, '-0.txt').textSha256);
      expect(sha256(await readFile(ok.rawPath))).toBe(ok.sha256);
      expect(server.requests.filter((r) => r.path === PATH).at(-1)!.range).toBe(`bytes=${ok.resumedFrom}-`);
    } finally {
      await s.close();
    }
  });
});

it('a stalled body in a pipelined batch ends the batch: books before it kept, the rest retryable, all fetched on the next call', async () => {
  const raw = path.join(work, 'raw-batch');
  server.hooks.stallBody(PATH, 50_000);
  const s = mirror.openSession(0);
  const batch = [3001, BIG, 3002, 3003];
  try {
    const results = await s.fetchBooks(batch, { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} });
    expect(results[0]).not.toBeInstanceOf(FanoutError);
    expect(results[1]).toMatchObject({ code: 'TIMEOUT', retryable: true, context: { ebook: BIG } });
    for (const r of results.slice(2)) if (r instanceof FanoutError) expect(r.retryable).toBe(true);
    const again = await s.fetchBooks(batch, { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} });
    for (const [i, ebook] of batch.entries()) {
      const r = again[i]!;
      if (r instanceof FanoutError) throw r;
      expect(r.sha256).toBe(generatedFile(gen, ebook, '-0.txt').textSha256);
    }
  } finally {
    await s.close();
  }
});

it('a reader that stops reading (a slow disk) is not taken for a stalled server', async () => {
  const client = new Client(server.url, { pipelining: 1 });
  const stall = { ms: 100, minBytes: 1024 };
  try {
    const res = await sendRequest(client, { path: PATH, headers: {}, stall, mayPause: () => true });
    const chunks: Buffer[] = [];
    let paused = false;
    for await (const chunk of res.body) {
      chunks.push(chunk as Buffer);
      if (!paused) {
        paused = true;
        // Several stall windows without reading: the connection is paused by us, not stalled.
        await sleep(stall.ms * 4);
      }
    }
    expect(sha256(Buffer.concat(chunks))).toBe(generatedFile(gen, BIG, '-0.txt').sha256);
  } finally {
    await client.close();
  }
});

it('a proxy that stops forwarding mid-body (connection kept open): cut, retried on a new connection, completed', async () => {
  const proxy = await startTcpProxy({ targetPort: server.port });
  // The first connection stops forwarding 150 KB in (inside the 400 KB book), and stays open.
  proxy.setStall({ afterBytes: 150_000, times: 1 });
  const m = openMirror(`http://${proxy.hostPort}`, { timeoutMs: 20_000, stallTimeoutMs: 300 });
  const raw = path.join(work, 'raw-proxy-stall');
  try {
    const s = m.openSession(0);
    const err = await s.fetchBook(BIG, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true, context: { ebook: BIG } });
    const ok = await s.fetchBook(BIG, { rawDir: raw, ctx: makeCtx() });
    expect(ok.sha256).toBe(generatedFile(gen, BIG, '-0.txt').textSha256);
    expect(proxy.stats.connections).toBe(2);
  } finally {
    await m.close();
    await proxy.stop();
  }
});
