import net from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { withRetry } from '../../../electron/engine/core/retry';
import type { WorkerContext, WorkerProgress } from '../../../electron/engine/core/worker-context';
import { openMirror, type FetchedBook, type Mirror, type OpenMirrorOptions } from '../../../electron/engine/mirror';
import type { GeneratedFile, GeneratedMirror, MirrorBookSpec } from '../../harness';

/** Books in every plain form the mirror tests share: all forms, Latin-1 only, Latin-1 bytes named .txt, zip only. */
export const FORM_BOOKS: MirrorBookSpec[] = [
  { ebook: 418, files: ['-0.txt', '-8.txt', '.txt', '-0.zip'], sizeBytes: 40_000 },
  { ebook: 5, files: ['-8.txt', '.txt'], sizeBytes: 10_000 },
  { ebook: 12345, files: ['.txt'], plainTxtLatin1: true, sizeBytes: 12_000 },
  { ebook: 77, files: ['-8.zip'], sizeBytes: 30_000 },
];

/** The books the TLS tests (HTTPS, FTPS) fetch: the common forms, a zip, and one larger book. */
export const TLS_BOOKS: MirrorBookSpec[] = [
  { ebook: 418, files: ['-0.txt', '-8.txt'], sizeBytes: 40_000 },
  { ebook: 5, files: ['-8.txt', '.txt'], sizeBytes: 10_000 },
  { ebook: 77, files: ['-8.zip'], sizeBytes: 30_000 },
  { ebook: 2000, files: ['-0.txt'], sizeBytes: 300_000 },
];

/** `ebook` fetched (fetchBook) on a new session of `mirror`, closed afterwards. */
export async function fetchOne(mirror: Mirror, ebook: number, rawDir: string): Promise<FetchedBook> {
  const s = mirror.openSession(0);
  try {
    return await s.fetchBook(ebook, { rawDir, ctx: makeCtx() });
  } finally {
    await s.close();
  }
}

/** `ebooks` fetched one by one (fetchBook) on a new session of `mirror`, closed afterwards. */
export async function fetchEach(mirror: Mirror, ebooks: number[], rawDir: string): Promise<FetchedBook[]> {
  const s = mirror.openSession(0);
  try {
    const out: FetchedBook[] = [];
    for (const ebook of ebooks) out.push(await s.fetchBook(ebook, { rawDir, ctx: makeCtx() }));
    return out;
  } finally {
    await s.close();
  }
}

/**
 * Book 418 from a TLS mirror whose certificate (self-signed) is not trusted under `opts`: one
 * TLS_FAILED, not retried, naming the host and the book, and nothing written.
 */
export async function expectTlsFailure(url: string, opts: OpenMirrorOptions, rawDir: string): Promise<FanoutError> {
  const mirror = openMirror(url, opts);
  const s = mirror.openSession(0);
  const ctx = makeCtx();
  let attempts = 0;
  const err = await withRetry(() => (attempts++, s.fetchBook(418, { rawDir, ctx })), { attempts: 3, baseDelayMs: 1, signal: ctx.signal }).catch((e: unknown) => e);
  await mirror.close();
  expect(err).toBeInstanceOf(FanoutError);
  const e = err as FanoutError;
  expect(e.code).toBe('TLS_FAILED');
  expect(e.retryable).toBe(false);
  expect(attempts).toBe(1); // permanent: not retried
  expect(e.context).toMatchObject({ host: '127.0.0.1', ebook: 418 });
  expect(e.message).toMatch(/^TLS handshake with 127\.0\.0\.1 failed: the mirror's certificate is not trusted/);
  expect(e.message).toMatch(/self-signed/);
  expect(await listFiles(rawDir).catch(() => [])).toEqual([]);
  return e;
}

/** The generated file of `ebook` in `form` (what a client should end up with). */
export function generatedFile(gen: GeneratedMirror, ebook: number, form: string): GeneratedFile {
  return gen.books.get(ebook)!.files.find((f) => f.form === form)!;
}

export interface CountingProgress extends WorkerProgress {
  states: string[];
  bytes: number;
  totals: Array<number | null>;
}

/** A WorkerContext whose progress records what it was told. */
export function makeCtx(signal: AbortSignal = new AbortController().signal): WorkerContext & { progress: CountingProgress } {
  const progress: CountingProgress = {
    states: [],
    bytes: 0,
    totals: [],
    setState(s) {
      this.states.push(s);
    },
    setItemTotal(t) {
      this.totals.push(t);
    },
    addBytes(n) {
      this.bytes += n;
    },
    resetItemBytes() {},
    countRetry() {},
  };
  return { workerId: 0, signal, progress };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `fanout-${prefix}-`));
}

/** Every file under `dir` (relative paths), bounded to 10,000 entries. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const stack = [''];
  while (stack.length > 0 && out.length < 10_000) {
    const rel = stack.pop()!;
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) stack.push(p);
      else out.push(p);
    }
  }
  return out.sort();
}

export async function removeAll(...dirs: string[]): Promise<void> {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}

export interface GateRelay {
  port: number;
  hostPort: string;
  /** Client connections accepted. */
  connections: number;
  /** What each connection's client sent (latin1, first 1 MB), in connection order. */
  sent: string[];
  /** Gates released because the client's requests satisfied `until` (pipelining seen). */
  opened: number;
  /** Gates released by the time bound instead (the client waited for a reply: no pipelining). */
  timedOut: number;
  stop(): Promise<void>;
}

/** Occurrences of `needle` in `text`. */
export function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/**
 * A TCP relay to `targetPort` that proves pipelining without timing: on each connection, from the
 * moment the client's text satisfies `from`, the server's bytes are held back until it satisfies
 * `until` too. A client that waits for a reply before its next request stalls there (the gate then
 * opens after `boundMs` and counts a `timedOut`); one that pipelines passes (`opened`).
 */
export async function startGateRelay(opts: { targetPort: number; from: (clientText: string) => boolean; until: (clientText: string) => boolean; boundMs?: number }): Promise<GateRelay> {
  const boundMs = opts.boundMs ?? 3000;
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const relay: GateRelay = {
    port: 0,
    hostPort: '',
    connections: 0,
    sent: [],
    opened: 0,
    timedOut: 0,
    async stop() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = net.createServer((client) => {
    const index = relay.connections++;
    relay.sent[index] = '';
    const upstream = net.connect({ host: '127.0.0.1', port: opts.targetPort });
    sockets.add(client);
    sockets.add(upstream);
    let state: 'open' | 'holding' | 'released' = 'open';
    const held: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const release = (byTimeout: boolean) => {
      if (state !== 'holding') return;
      state = 'released';
      if (timer) {
        clearTimeout(timer);
        timers.delete(timer);
      }
      if (byTimeout) relay.timedOut++;
      else relay.opened++;
      for (const b of held.splice(0)) client.write(b);
    };
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', kill);
    upstream.on('error', kill);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (d: Buffer) => {
      if (relay.sent[index]!.length < 1_000_000) relay.sent[index] += d.toString('latin1');
      const text = relay.sent[index]!;
      if (state === 'open' && opts.from(text)) {
        state = 'holding';
        timer = setTimeout(() => release(true), boundMs);
        timers.add(timer);
      }
      if (state === 'holding' && opts.until(text)) release(false);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (state === 'holding') held.push(d);
      else client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => {
      if (state === 'holding') release(true);
      client.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  relay.port = (server.address() as net.AddressInfo).port;
  relay.hostPort = `127.0.0.1:${relay.port}`;
  return relay;
}
