import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CATALOG_REMOTE_PATH, catalogUrl, downloadCatalog, type CatalogDownloadProgress } from '../../../electron/engine/jobs/catalog-download';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { FanoutHost } from '../../../electron/engine/jobs/fanout-host';
import type { CatalogEvent } from '../../../shared/ipc';
import { durableRename, makeSelfSignedCert, recordFsyncs, startFtpServer, startHttpServer, type FtpServer } from '../../harness';
import { isTempName, tempPathFor } from '../../../electron/engine/output/atomic-file';

const CSV = ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...Array.from({ length: 2000 }, (_, i) => `${i + 1},Text,2001-01-01,Book ${i},en,"Doe, Jane",Fiction,PR,Test`), ''].join('\n');

/** A tiny HTTP mirror: /m/ has the catalog, /gz/ sends it gzipped, /br/ in brotli, /r/ redirects to /m/, /html/ answers a web page, /slow/ trickles. */
function startMirror(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === `/m/${CATALOG_REMOTE_PATH}`) {
      res.writeHead(200, { 'Content-Length': Buffer.byteLength(CSV) });
      res.end(CSV);
    } else if (url === `/gz/${CATALOG_REMOTE_PATH}`) {
      const body = gzipSync(CSV);
      res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': body.length });
      res.end(body);
    } else if (url === `/br/${CATALOG_REMOTE_PATH}`) {
      // Compressed unasked in a coding other than gzip (a server's brotli filter): undone all the same.
      const body = brotliCompressSync(CSV);
      res.writeHead(200, { 'Content-Encoding': 'br', 'Content-Length': body.length });
      res.end(body);
    } else if (url.startsWith('/r/')) {
      res.writeHead(302, { Location: url.replace('/r/', '/m/') });
      res.end();
    } else if (url.startsWith('/html/')) {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>Welcome</title>');
    } else if (url.startsWith('/slow/')) {
      res.writeHead(200, { 'Content-Length': 1_000_000 });
      let sent = 0;
      const t = setInterval(() => {
        if (res.destroyed || sent >= 50) return clearInterval(t);
        sent++;
        res.write(Buffer.alloc(1000, 65));
      }, 20);
      res.on('close', () => clearInterval(t));
    } else if (url.startsWith('/cut/') || url.startsWith('/cutgz/')) {
      // 30,000 bytes of 100,000 announced, then the connection closed (once those bytes are written).
      res.writeHead(200, { 'Content-Length': 100_000, ...(url.startsWith('/cutgz/') ? { 'Content-Encoding': 'gzip' } : {}) });
      const part = url.startsWith('/cutgz/') ? gzipSync(CSV).subarray(0, 3_000) : Buffer.alloc(30_000, 65);
      res.write(part, () => res.socket?.destroy());
    } else if (url.startsWith('/boom/')) {
      res.writeHead(503);
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('catalog download', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let ftp: FtpServer | null = null;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-catdl-'));
    server = await startMirror();
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const root = join(dir, 'ftp-root');
    await mkdir(join(root, 'pub', 'cache', 'epub', 'feeds'), { recursive: true });
    await writeFile(join(root, 'pub', CATALOG_REMOTE_PATH), CSV);
    ftp = await startFtpServer({ root });
  });
  afterAll(async () => {
    await ftp?.stop();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('builds the catalog URL under the mirror root', () => {
    expect(catalogUrl('https://gutenberg.pglaf.org/').href).toBe(`https://gutenberg.pglaf.org/${CATALOG_REMOTE_PATH}`);
    expect(catalogUrl('ftp://host/mirrors/gutenberg//').href).toBe(`ftp://host/mirrors/gutenberg/${CATALOG_REMOTE_PATH}`);
    expect(() => catalogUrl('file:///etc/passwd')).toThrow(/Unsupported/);
    expect(() => catalogUrl('not a url')).toThrow(/Not a mirror URL/);
  });

  it('downloads over HTTP atomically, with progress', async () => {
    const progress: CatalogDownloadProgress[] = [];
    const dest = join(dir, 'http');
    const r = await downloadCatalog(`${base}/m/`, { destDir: dest, onProgress: (p) => progress.push(p), progressIntervalMs: 0 });
    expect(r.bytes).toBe(Buffer.byteLength(CSV));
    expect(await readFile(r.path, 'utf8')).toBe(CSV);
    expect(progress.at(-1)).toMatchObject({ bytes: Buffer.byteLength(CSV), total: Buffer.byteLength(CSV), url: `${base}/m/${CATALOG_REMOTE_PATH}` });
    // Nothing but the catalog is left behind (no temp file).
    expect(await readdir(dest)).toEqual([r.path.split('/').at(-1)]);
  });

  it.runIf(process.platform === 'linux')('makes the catalog durable: its temp fsynced before the rename, the folder after; a killed run\'s old temp removed', async () => {
    const dest = join(dir, 'durable');
    await mkdir(dest);
    const target = join(dest, 'catalog.csv');
    const stale = tempPathFor(target); // a killed download's leftover, hours old
    await writeFile(stale, 'half a catalog');
    const hoursAgo = new Date(Date.now() - 3 * 3_600_000);
    await utimes(stale, hoursAgo, hoursAgo);
    try {
      const events = await recordFsyncs(dest, () => target);
      await downloadCatalog(`${base}/m/`, { destDir: dest, fileName: 'catalog.csv' });
      const { fileSync, dirSync } = durableRename(events, dest, (e) => e.size === Buffer.byteLength(CSV));
      expect(fileSync, JSON.stringify(events)).toBeGreaterThanOrEqual(0);
      expect(isTempName(basename(events[fileSync]!.path))).toBe(true);
      expect(dirSync, JSON.stringify(events)).toBeGreaterThan(fileSync);
      expect(await readdir(dest)).toEqual(['catalog.csv']);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('accepts gzip and follows redirects', async () => {
    const gz = await downloadCatalog(`${base}/gz`, { destDir: join(dir, 'gz') });
    expect(await readFile(gz.path, 'utf8')).toBe(CSV);
    const br = await downloadCatalog(`${base}/br`, { destDir: join(dir, 'br') });
    expect(await readFile(br.path, 'utf8')).toBe(CSV);
    const red = await downloadCatalog(`${base}/r/`, { destDir: join(dir, 'red') });
    expect(await readFile(red.path, 'utf8')).toBe(CSV);
  });

  it('says clearly when the mirror has no catalog, or answers with a web page', async () => {
    await expect(downloadCatalog(`${base}/nothing/`, { destDir: join(dir, 'e1') })).rejects.toMatchObject({
      code: 'HTTP_NOT_FOUND',
      message: `This mirror has no catalog at ${base}/nothing/${CATALOG_REMOTE_PATH}`,
    });
    await expect(downloadCatalog(`${base}/html/`, { destDir: join(dir, 'e2') })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('web page') });
    await expect(downloadCatalog(`${base}/boom/`, { destDir: join(dir, 'e3') })).rejects.toMatchObject({ code: 'HTTP_TRANSIENT', message: expect.stringContaining('HTTP 503') });
    await expect(downloadCatalog('http://127.0.0.1:1/', { destDir: join(dir, 'e4') })).rejects.toMatchObject({ code: 'CONNECTION_REFUSED' });
    for (const d of ['e1', 'e2', 'e3']) expect(await readdir(join(dir, d))).toEqual([]);
  });

  it('a body cut short (the server closed before its Content-Length): SIZE_MISMATCH, "cut short" with the byte count, no file', async () => {
    // Before: CONNECTION_RESET 'other side closed' (undici's words), the catalog's own wording never reached over HTTP.
    // (How many of the bytes sent are counted before the close is seen is the network's: not asserted.)
    for (const route of ['cut', 'cutgz']) {
      const e = (await downloadCatalog(`${base}/${route}/`, { destDir: join(dir, route) }).catch((x: unknown) => x)) as FanoutError;
      expect(e).toBeInstanceOf(FanoutError);
      expect([e.code, e.retryable, e.detail.size?.verdict, e.detail.size?.expected]).toEqual(['SIZE_MISMATCH', true, 'short', 100_000]);
      expect(e.detail.size!.received).toBeLessThan(100_000);
      expect(e.message).toMatch(new RegExp(`^The catalog download from ${base}/${route}/${CATALOG_REMOTE_PATH} was cut short \\(Received \\d+ of 100000 bytes \\(`));
      expect(await readdir(join(dir, route))).toEqual([]);
    }
  });

  it('cancels with an AbortSignal and leaves no file', async () => {
    const controller = new AbortController();
    const dest = join(dir, 'abort');
    const p = downloadCatalog(`${base}/slow/`, { destDir: dest, signal: controller.signal, progressIntervalMs: 0, onProgress: (x) => x.bytes > 2000 && controller.abort() });
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await readdir(dest)).toEqual([]);
  });

  it('downloads over FTP, and maps 550 to "no catalog"', async () => {
    const progress: CatalogDownloadProgress[] = [];
    const r = await downloadCatalog(`${ftp!.url}/pub`, { destDir: join(dir, 'ftp'), onProgress: (p) => progress.push(p), progressIntervalMs: 0 });
    expect(await readFile(r.path, 'utf8')).toBe(CSV);
    expect(progress.at(-1)).toMatchObject({ bytes: Buffer.byteLength(CSV), total: Buffer.byteLength(CSV) });
    await expect(downloadCatalog(`${ftp!.url}/nope`, { destDir: join(dir, 'ftp-missing') })).rejects.toMatchObject({
      code: 'FTP_NOT_FOUND',
      message: expect.stringMatching(/^This mirror has no catalog at ftp:\/\/127\.0\.0\.1:\d+\/nope\/cache\/epub\/feeds\/pg_catalog\.csv$/),
    });
  });

  it('goes through the mirror client: its TLS options (extra CA) for https, implicit FTPS', async () => {
    const cert = await makeSelfSignedCert();
    const root = join(dir, 'tls-root');
    await mkdir(join(root, 'cache', 'epub', 'feeds'), { recursive: true });
    await writeFile(join(root, CATALOG_REMOTE_PATH), CSV);
    const https = await startHttpServer({ root, tls: cert });
    const ftps = await startFtpServer({ root, tls: { ...cert, implicit: true } });
    try {
      // Untrusted by default (certificates are checked), trusted with the mirror's CA.
      await expect(downloadCatalog(https.url, { destDir: join(dir, 'https-untrusted') })).rejects.toMatchObject({ code: 'TLS_FAILED' });
      const h = await downloadCatalog(https.url, { destDir: join(dir, 'https'), tls: { ca: cert.cert } });
      expect(await readFile(h.path, 'utf8')).toBe(CSV);
      const f = await downloadCatalog(ftps.url, { destDir: join(dir, 'ftps'), tls: { ca: cert.cert, implicit: true } });
      expect(await readFile(f.path, 'utf8')).toBe(CSV);
    } finally {
      await ftps.stop();
      await https.stop();
    }
  });

  it('the host downloads into its data dir, then loads it; one download at a time', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const host = new FanoutHost({
      host: 'web', version: 't', dataDir: join(dir, 'host'), defaultOutDir: dir,
      runners: { gutenberg: async () => { throw new Error('unused'); } },
      readCatalog: async function* (path) {
        expect(path).toBe(join(dir, 'host', 'catalogs', 'x.csv'));
        yield { ebook: 1, type: 'Text', issued: null, title: 'T', languages: ['en'], authors: ['A'], subjects: [] };
      },
      downloadCatalog: async (mirror, opts) => {
        opts.onProgress?.({ url: `${mirror}cache`, bytes: 5, total: 10 });
        await gate;
        return { path: join(opts.destDir, 'x.csv'), url: `${mirror}cache`, bytes: 10, ms: 1 };
      },
    });
    const events: CatalogEvent[] = [];
    host.onEvent((name, e) => name === 'catalog:event' && events.push(e as CatalogEvent));
    const first = host.handle('catalog:download', { mirror: 'http://m/' });
    expect(await host.handle('catalog:download', { mirror: 'http://m/' })).toMatchObject({ ok: false, error: { code: 'BUSY', message: expect.stringContaining('already running') } });
    release();
    expect(await first).toMatchObject({ ok: true, value: { rows: 1, url: 'http://m/cache', downloadedBytes: 10, path: join(dir, 'host', 'catalogs', 'x.csv') } });
    expect(events.map((e) => (e.kind === 'catalog:progress' ? e.phase : e.kind))).toEqual(['downloading', 'loading', 'catalog:finished']);
    expect(await host.handle('catalog:download', { mirror: '' })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(await host.handle('catalog:cancel-download', {})).toEqual({ ok: true, value: null });
  });
});
