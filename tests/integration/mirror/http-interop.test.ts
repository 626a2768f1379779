/**
 * The HTTP interop matrix: every strategy against real servers (Node's, nginx with its HTML and
 * JSON autoindex, Apache with FancyIndexing, and servers that close the connection after each
 * response), behind the latency proxy. Every existing book byte-exact, every missing one not
 * found, and a re-run downloads nothing. nginx and Apache come from `.ci/servers/http.sh`.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { STRATEGIES, type Strategy } from '../../../shared/strategy';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import { generateMirror, sha256, startApacheServer, startHttpServer, startNginxServer, startTcpProxy, type GeneratedMirror, type MirrorBookSpec, type TcpProxy } from '../../harness';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror, type HttpSession } from '../../../electron/engine/mirror';
import { makeCtx, removeAll, startGateRelay, tempDir, type GateRelay } from './helpers';

/** The mirror lives in a folder whose name has a space: every URL carries `%20`. */
const MIRROR_DIR = 'gutenberg mirror';

const BOOKS: MirrorBookSpec[] = [
  { ebook: 5, files: ['-0.txt', '-8.txt'], sizeBytes: 9_000 },
  { ebook: 418, files: ['-8.txt', '.txt', '-8.zip'], sizeBytes: 40_000 }, // no N-0.txt: the index decides
  { ebook: 1001, files: ['.txt'], plainTxtLatin1: true, sizeBytes: 12_000 },
  { ebook: 1002, files: ['-0.zip'], sizeBytes: 30_000 }, // zip only
  { ebook: 1003, files: ['.zip'], sizeBytes: 20_000 },
  { ebook: 1004, files: ['cache'], sizeBytes: 15_000 }, // cache/epub only
  { ebook: 1005, files: [] }, // missing
  { ebook: 1006, files: [] }, // missing
  { ebook: 1007, files: ['-8.txt'], sizeBytes: 25_000 }, // N-0.txt becomes a symlink to it (below)
  ...Array.from({ length: 8 }, (_, i): MirrorBookSpec => ({ ebook: 2000 + i, files: ['-0.txt'], sizeBytes: 60_000 + i * 70_000 })),
];
const PRESENT = BOOKS.filter((b) => b.files.length > 0).map((b) => b.ebook);
const MISSING = BOOKS.filter((b) => b.files.length === 0).map((b) => b.ebook);

interface Served {
  name: string;
  url: string;
  port: number;
  stop(): Promise<void>;
}

let work: string;
let gen: GeneratedMirror;
let catalog: string;
/** The sha256 of the text each present book must end up with. */
const expected = new Map<number, string>();

beforeAll(async () => {
  work = await tempDir('http-interop');
  const top = join(work, 'www');
  gen = await generateMirror(join(top, MIRROR_DIR), BOOKS);
  for (const [ebook, book] of gen.books) if (book.files[0]) expected.set(ebook, book.files[0].textSha256);
  // A symlinked best file, as mirrors have them; and names with spaces beside the books.
  const dir1007 = join(gen.root, gen.books.get(1007)!.dir);
  await symlink('1007-8.txt', join(dir1007, '1007-0.txt'));
  await writeFile(join(gen.root, gen.books.get(418)!.dir, '418 read me.txt'), 'not a book\n');
  await mkdir(join(gen.root, gen.books.get(5)!.dir, 'old files'));
  catalog = join(work, 'catalog.csv');
  const rows = BOOKS.map((b) => `${b.ebook},Text,2000-01-01,"Book ${b.ebook}",en,"Author, Test",Fiction,PR,Shelf`);
  await writeFile(catalog, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...rows, ''].join('\n'));
  // The -0 link serves the -8 bytes.
  expected.set(1007, gen.books.get(1007)!.files[0]!.textSha256);
});

afterAll(async () => {
  await removeAll(work);
});

/** The servers of the matrix, each over the same folder (the mirror is `/<MIRROR_DIR>` below it). */
const SERVERS: Array<[string, (root: string) => Promise<Served>]> = [
  ['node', async (root) => named('node', await startHttpServer({ root }))],
  ['node, close after each response', async (root) => named('node-close', await startHttpServer({ root, closeAfterResponse: true }))],
  ['nginx (HTML autoindex)', async (root) => named('nginx', await startNginxServer({ root }))],
  ['nginx (JSON autoindex, keepalive_timeout 0)', async (root) => named('nginx-json-close', await startNginxServer({ root, indexFormat: 'json', closeAfterResponse: true }))],
  ['Apache (FancyIndexing)', async (root) => named('apache', await startApacheServer({ root }))],
];

function named(name: string, s: { url: string; port: number; stop(): Promise<void> }): Served {
  return { name, url: s.url, port: s.port, stop: () => s.stop() };
}

async function readManifest(outDir: string): Promise<Map<number, ManifestEntry>> {
  const text = await readFile(join(outDir, 'manifest.jsonl'), 'utf8');
  const out = new Map<number, ManifestEntry>();
  for (const line of text.trim().split('\n')) {
    const e = JSON.parse(line) as ManifestEntry;
    out.set(e.ebook, e); // the last line of a book wins
  }
  return out;
}

describe.each(SERVERS)('HTTP interop: %s', (_label, start) => {
  let server: Served;
  let proxy: TcpProxy;
  let relay: GateRelay;
  let url: string;

  beforeAll(async () => {
    server = await start(join(work, 'www'));
    proxy = await startTcpProxy({ targetPort: server.port, delayMs: 2 });
    // Records what the client sends (never holds anything back).
    relay = await startGateRelay({ targetPort: proxy.port, from: () => false, until: () => true });
    url = `http://${relay.hostPort}/${encodeURIComponent(MIRROR_DIR)}`;
  });
  afterAll(async () => {
    await relay?.stop();
    await proxy?.stop();
    await server?.stop();
  });

  it.each(STRATEGIES)('%s: every book byte-exact, the missing ones not found, a re-run downloads nothing', async (strategy: Strategy) => {
    const outDir = join(work, `out-${server.name}-${strategy}`);
    const run = () =>
      runGutenbergJob(GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: url, workers: strategy === 'serial' ? 1 : 3, strategy, attempts: 3, timeoutMs: 10_000, outDir }), createJobControl());
    const first = await run();
    expect(first.itemsDone, JSON.stringify(first.failures)).toBe(PRESENT.length);
    expect(first.failures.map((f) => [f.error.context.ebook, f.error.code]).sort()).toEqual(MISSING.map((e) => [e, 'BOOK_NOT_FOUND']));
    const manifest = await readManifest(outDir);
    for (const ebook of PRESENT) {
      const entry = manifest.get(ebook)!;
      expect(entry, `ebook ${ebook}`).toMatchObject({ status: 'ok', rawSha256: expected.get(ebook) });
      expect(sha256(await readFile(join(outDir, entry.rawFile!))), `ebook ${ebook} on disk`).toBe(expected.get(ebook));
    }
    expect(manifest.get(418)!.remoteName).toBe('418-8.txt'); // found through the folder index
    expect(manifest.get(1004)!.remoteName).toBe('pg1004.txt');
    for (const ebook of MISSING) expect(manifest.get(ebook)).toMatchObject({ status: 'failed', errorCode: 'BOOK_NOT_FOUND' });

    // Re-run: the books on disk are skipped; only the missing ones are asked for again.
    const sentBefore = relay.sent.join('').length;
    const again = await run();
    expect(again.itemsSkipped).toBe(PRESENT.length);
    expect(again.itemsDone).toBe(0);
    const asked = relay.sent.join('').slice(sentBefore).split('\r\n').filter((l) => l.startsWith('GET '));
    const missingDirs = MISSING.map((e) => [`/${e}/`, `/cache/epub/${e}/`]).flat();
    for (const line of asked) expect(missingDirs.some((d) => line.includes(d)), line).toBe(true);
  });
});

/**
 * A bare HTTP/1.0 server: answers `HTTP/1.0 200` with a Content-Length and no Connection header,
 * then closes (a 1.0 connection is not kept unless the server says so). Files only; 404 otherwise.
 */
async function startHttp10Server(root: string, garbage = new Map<string, string>()): Promise<{ url: string; requestsPerConnection: number[]; stop(): Promise<void> }> {
  const requestsPerConnection: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    const index = requestsPerConnection.push(0) - 1;
    let head = '';
    sock.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n') || head.length > 64_000) return;
      requestsPerConnection[index]!++;
      const path = decodeURIComponent(/^GET (\S+) HTTP/.exec(head)?.[1] ?? '/');
      head = '';
      // A response undici's parser rejects (an error inside the dependency, for this connection).
      const bad = garbage.get(path);
      if (bad !== undefined) {
        garbage.delete(path);
        return void sock.end(bad);
      }
      readFile(join(root, path)).then(
        (body) => sock.end(Buffer.concat([Buffer.from(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body])),
        () => sock.end('HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n'),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requestsPerConnection,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('HTTP: a server that closes after each response', () => {
  it('a response undici cannot parse fails only that connection\'s books, retryably; the process lives and the next call fetches them', async () => {
    const server = await startHttp10Server(
      join(work, 'www'),
      new Map([
        [`/${MIRROR_DIR}/2/0/0/2001/2001-0.txt`, 'HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 5\r\n\r\nhello'], // bad headers
        [`/${MIRROR_DIR}/2/0/0/2003/2003-0.txt`, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n'], // bad body
      ]),
    );
    const mirror = openMirror(`${server.url}/${encodeURIComponent(MIRROR_DIR)}`, { timeoutMs: 10_000 });
    const books = [2000, 2001, 2002];
    const raw = join(work, 'raw-garbage');
    try {
      const s = mirror.openSession(0);
      const first = await s.fetchBooks(books, { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} });
      expect(first[0]).not.toBeInstanceOf(FanoutError);
      expect(first[1]).toMatchObject({ retryable: true, context: { ebook: 2001 } });
      for (const r of first.slice(2)) if (r instanceof FanoutError) expect(r.retryable).toBe(true);
      // A body that stops being valid HTTP half-way: the same, for the one book.
      expect(await s.fetchBook(2003, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e)).toMatchObject({ code: 'CONNECTION_RESET', retryable: true, context: { ebook: 2003 } });
      expect(await s.fetchBook(2003, { rawDir: raw, ctx: makeCtx() })).toMatchObject({ sha256: expected.get(2003) });
      const again = await s.fetchBooks(books, { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} });
      for (const [i, ebook] of books.entries()) {
        const r = again[i]!;
        if (r instanceof FanoutError) throw r;
        expect(r.sha256).toBe(expected.get(ebook));
      }
    } finally {
      await mirror.close();
      await server.stop();
    }
  });

  it('HTTP/1.0 without a Connection header: nothing proves keep-alive, so one request at a time, each on its own connection', async () => {
    const server = await startHttp10Server(join(work, 'www'));
    const mirror = openMirror(`${server.url}/${encodeURIComponent(MIRROR_DIR)}`, { timeoutMs: 10_000 });
    const books = [5, 2000, 2001, 2002, 2003];
    try {
      const s = mirror.openSession(0) as HttpSession;
      const results = await s.fetchBooks(books, { rawDir: join(work, 'raw-http10'), ctx: makeCtx(), onFetched: async () => {} });
      for (const [i, ebook] of books.entries()) {
        const r = results[i]!;
        if (r instanceof FanoutError) throw r;
        expect(r.sha256, `ebook ${ebook}`).toBe(expected.get(ebook));
      }
      expect(server.requestsPerConnection).toEqual(books.map(() => 1));
      expect(s.stats.maxInFlight).toBe(1);
    } finally {
      await mirror.close();
      await server.stop();
    }
  });


  it('is never pipelined to: after the first response, requests overlap on connections of their own, one request each', async () => {
    const server = await startHttpServer({ root: join(work, 'www'), closeAfterResponse: true });
    const mirror = openMirror(`${server.url}/${encodeURIComponent(MIRROR_DIR)}`, { timeoutMs: 10_000 });
    try {
      const s = mirror.openSession(0) as HttpSession;
      const results = await s.fetchBooks(PRESENT, { rawDir: join(work, 'raw-close-batch'), ctx: makeCtx(), onFetched: async () => {} });
      for (const [i, ebook] of PRESENT.entries()) {
        const r = results[i]!;
        if (r instanceof FanoutError) throw r;
        expect(r.sha256, `ebook ${ebook}`).toBe(expected.get(ebook));
      }
      // One request per connection (nothing was queued behind a response the server closed after)…
      const perConnection = new Map<number, number>();
      for (const r of server.requests) perConnection.set(r.connection, (perConnection.get(r.connection) ?? 0) + 1);
      expect(Math.max(...perConnection.values())).toBe(1);
      // …and several in flight at once all the same.
      expect(s.stats.maxInFlight).toBeGreaterThan(1);
      expect(s.stats.connections).toBe(server.requests.length);
    } finally {
      await mirror.close();
      await server.stop();
    }
  });

  it('a body cut mid-way fails its book retryably, the process survives, and the next attempt completes it', async () => {
    const root = join(work, 'www');
    const server = await startHttpServer({ root, closeAfterResponse: true });
    const proxy = await startTcpProxy({ targetPort: server.port, delayMs: 2 });
    const outDir = join(work, 'out-close-cut');
    try {
      server.hooks.cutBody(`/${MIRROR_DIR}/2/0/0/2007/2007-0.txt`, 100_000, 2);
      const summary = await runGutenbergJob(
        GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: `http://${proxy.hostPort}/${encodeURIComponent(MIRROR_DIR)}`, workers: 2, strategy: 'adaptive', attempts: 4, timeoutMs: 10_000, outDir }),
        createJobControl(),
      );
      expect(summary.itemsDone, JSON.stringify(summary.failures)).toBe(PRESENT.length);
      const cut = server.requests.filter((r) => r.path.endsWith('/2007-0.txt'));
      expect(cut.length).toBeGreaterThanOrEqual(3); // two cut, then the whole (or the rest by Range)
      expect((await readManifest(outDir)).get(2007)).toMatchObject({ status: 'ok', rawSha256: expected.get(2007) });
    } finally {
      await proxy.stop();
      await server.stop();
    }
  });
});
