import { createHash } from 'node:crypto';
import net from 'node:net';
import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { withRetry } from '../../../electron/engine/core/retry';
import type { WorkerContext, WorkerProgress } from '../../../electron/engine/core/worker-context';
import { openMirror, type FetchedBook, type Mirror, type MirrorSession, type OpenMirrorOptions } from '../../../electron/engine/mirror';
import { generateMirror, startFtpServerOf, startTcpProxy, type FtpServer, type FtpServerKind, type GeneratedFile, type GeneratedMirror, type MirrorBookSpec, type TcpProxy, type TcpProxyOptions } from '../../harness';

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

/** A one-book FTP mirror whose book was cut mid-transfer once (see cutFtpBookOnce). */
export interface CutFtpBook {
  /** The mirror's folder (the file can be rewritten there before the next fetch). */
  root: string;
  /** The raw folder holding the cut `.part` and its `.part.meta`. */
  raw: string;
  /** The server, still running: the caller stops it. */
  ftp: FtpServer;
}

/**
 * Starts a `kind` FTP server on a mirror holding `data` at `rel` (book 3000's only file, e.g.
 * `3/0/0/3000/3000-8.txt`, dated `mtime`), and fetches book 3000 through a relay that cuts the next
 * `dropTimes` data connections 60 kB in: the fetch fails, retryable, leaving `<file>.part` and its
 * `.part.meta` in `<work>/raw-<name>`. (More than one cut when the fetch may open more than one data
 * connection: the batch's guessed N-0.txt, or a redo after replies went out of step.)
 */
export async function cutFtpBookOnce(o: { work: string; name: string; kind: FtpServerKind; rel: string; data: Buffer; mtime: Date; dropTimes: number }): Promise<CutFtpBook> {
  const gen = await generateMirror(path.join(o.work, o.name), []);
  const file = path.join(gen.root, o.rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, o.data);
  await utimes(file, o.mtime, o.mtime);
  const ftp = await startFtpServerOf(o.kind, { root: gen.root });
  const raw = path.join(o.work, `raw-${o.name}`);
  const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true, dropAfterBytes: 60_000, dropTimes: o.dropTimes });
  const cut = openMirror(ftp.urlVia(proxy.hostPort), { timeoutMs: 5000 });
  try {
    const s = cut.openSession(0);
    const first = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
    expect(first, String(first)).toBeInstanceOf(FanoutError);
    expect((first as FanoutError).retryable, String(first)).toBe(true);
    const name = path.basename(o.rel);
    expect(await listFiles(raw)).toEqual([`${name}.part`, `${name}.part.meta`]);
    await s.close();
  } catch (e) {
    await ftp.stop();
    throw e;
  } finally {
    await cut.close();
    await proxy.stop();
  }
  return { root: gen.root, raw, ftp };
}

/** Book 3000 fetched again from `ftp` directly (no relay), on a new mirror, into `raw`. */
export async function fetchFtpBookAgain(ftp: FtpServer, raw: string): Promise<FetchedBook> {
  const mirror = openMirror(ftp.url, { timeoutMs: 5000 });
  try {
    return await fetchOne(mirror, 3000, raw);
  } finally {
    await mirror.close();
  }
}

export interface OrderRelay {
  port: number;
  hostPort: string;
  /** What each connection's client sent (latin1, first 1 MB), in connection order. */
  sent: string[];
  /** Client bytes held back at least once, then let through by `hold` (not by the bound). */
  released: number;
  /** Held client bytes let through by the time bound instead. */
  timedOut: number;
  stop(): Promise<void>;
}

/**
 * A TCP relay to `targetPort` that holds the CLIENT's bytes back (where startGateRelay holds the
 * server's): a chunk the client writes waits while `hold(client, server, serverAtArrival)` is true,
 * `client` being all the client wrote on the connection (held bytes included), `server` all the
 * server sent so far, `serverAtArrival` what it had sent when the oldest held chunk came. Checked
 * again on every chunk either way; the held chunks then go on in order (after `boundMs` at the
 * latest, counted in `timedOut`). Makes an order certain: e.g. a command reaching the server only
 * once it replied to another, or while it runs a transfer.
 */
export async function startOrderRelay(opts: { targetPort: number; hold: (client: string, server: string, serverAtArrival: string) => boolean; boundMs?: number }): Promise<OrderRelay> {
  const boundMs = opts.boundMs ?? 5000;
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const relay: OrderRelay = {
    port: 0,
    hostPort: '',
    sent: [],
    released: 0,
    timedOut: 0,
    async stop() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = net.createServer((client) => {
    const index = relay.sent.length;
    relay.sent.push('');
    let fromServer = '';
    const upstream = net.connect({ host: '127.0.0.1', port: opts.targetPort });
    sockets.add(client);
    sockets.add(upstream);
    const held: Buffer[] = [];
    let heldAt = '';
    let timer: NodeJS.Timeout | undefined;
    const flush = (byTimeout: boolean) => {
      if (held.length === 0) return;
      if (timer) {
        clearTimeout(timer);
        timers.delete(timer);
        timer = undefined;
      }
      if (byTimeout) relay.timedOut++;
      else relay.released++;
      for (const b of held.splice(0)) upstream.write(b);
    };
    const check = () => {
      if (held.length > 0 && !opts.hold(relay.sent[index]!, fromServer, heldAt)) flush(false);
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
      if (held.length === 0 && !opts.hold(relay.sent[index]!, fromServer, fromServer)) return void upstream.write(d);
      if (held.length === 0) {
        heldAt = fromServer;
        timer = setTimeout(() => flush(true), boundMs);
        timers.add(timer);
      }
      held.push(d);
      check();
    });
    upstream.on('data', (d: Buffer) => {
      if (fromServer.length < 1_000_000) fromServer += d.toString('latin1');
      client.write(d);
      check();
    });
    client.on('end', () => {
      flush(true);
      upstream.end();
    });
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  relay.port = (server.address() as net.AddressInfo).port;
  relay.hostPort = `127.0.0.1:${relay.port}`;
  return relay;
}

/** `size` bytes of `seed` repeated: a file whose content names its case. */
export function seeded(size: number, seed: string): Buffer {
  return Buffer.from(`${seed} `.repeat(Math.ceil(size / (seed.length + 1))).slice(0, size));
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A mirror under `work/name` holding `files` (relative path → content, each an hour old) and `links` (relative path → target); its root. */
export async function filesMirror(work: string, name: string, files: Record<string, Buffer>, links: Record<string, string> = {}): Promise<string> {
  const gen = await generateMirror(path.join(work, name), []);
  const hourAgo = new Date(Date.now() - 3_600_000);
  for (const [rel, data] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(gen.root, rel)), { recursive: true });
    await writeFile(path.join(gen.root, rel), data);
    await utimes(path.join(gen.root, rel), hourAgo, hourAgo);
  }
  for (const [rel, target] of Object.entries(links)) await symlink(target, path.join(gen.root, rel));
  return gen.root;
}

export interface FtpFilesCase {
  root: string;
  ftp: FtpServer;
  /** The relay the mirror goes through, when `proxy` options were given. */
  proxy: TcpProxy | null;
  mirror: Mirror;
  /** Session 0 of `mirror`. */
  session: MirrorSession;
}

/**
 * One case against a `kind` FTP server serving `files` and `links` (see filesMirror): the server,
 * a relay in front when `proxy` is given (its options but the target), the mirror (`options`) and
 * its session 0 are handed to `fn`, and closed and stopped afterwards whatever happens.
 */
export async function withFtpFiles(
  o: { work: string; name: string; kind: FtpServerKind; files: Record<string, Buffer>; links?: Record<string, string>; proxy?: Omit<TcpProxyOptions, 'targetPort'>; options: OpenMirrorOptions },
  fn: (c: FtpFilesCase) => Promise<void>,
): Promise<void> {
  const root = await filesMirror(o.work, o.name, o.files, o.links);
  const ftp = await startFtpServerOf(o.kind, { root });
  let proxy: TcpProxy | null = null;
  let mirror: Mirror | null = null;
  try {
    if (o.proxy) proxy = await startTcpProxy({ ...o.proxy, targetPort: ftp.port });
    mirror = openMirror(proxy ? ftp.urlVia(proxy.hostPort) : ftp.url, o.options);
    const session = mirror.openSession(0);
    try {
      await fn({ root, ftp, proxy, mirror, session });
    } finally {
      await session.close();
    }
  } finally {
    await mirror?.close();
    await proxy?.stop();
    await ftp.stop();
  }
}
