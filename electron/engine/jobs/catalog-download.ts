/**
 * Downloads the official catalog (`cache/epub/feeds/pg_catalog.csv`, ~20 MB) from a Gutenberg
 * mirror into a local folder. Electron-free.
 *
 * - HTTP(S): one GET (gzip accepted, up to 3 redirects); FTP(S): one basic-ftp client, anonymous
 *   unless the URL names a user, `SIZE` for the total then `RETR`.
 * - Atomic: the bytes go to a hidden temp file beside the target, which is flushed to disk and then
 *   renamed over it, so a reader (or a crash) never sees half a catalog; a failure removes it.
 * - Progress: `onProgress` is called at most every `progressIntervalMs` and once at the end, with
 *   bytes received from the network (compressed bytes when the server sends gzip).
 * - Cancellation: `signal` aborts the request (FTP: closes the client); rejects with ABORTED.
 * - Errors reuse the mirror module's mapping (FTP reply codes, HTTP status, socket/TLS errors); a
 *   404 / 550 says "this mirror has no catalog at <url>".
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { basename, dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Client } from 'basic-ftp';
import type { ErrorContext } from '../../../shared/errors';
import { FanoutError, abortedError, isAbortError } from '../core/fanout-error';
import { httpStatusError, mapFtpError } from '../mirror';
import { mapSocketError } from '../mirror/net-errors';

/** Where the official catalog lives on every mirror, relative to the mirror root. */
export const CATALOG_REMOTE_PATH = 'cache/epub/feeds/pg_catalog.csv';

const MAX_REDIRECTS = 3;

export interface CatalogDownloadProgress {
  /** The catalog's URL on the mirror. */
  url: string;
  /** Bytes received so far (from the network: compressed bytes when the server sends gzip). */
  bytes: number;
  /** Expected bytes (Content-Length or FTP SIZE), or null when the server does not say. */
  total: number | null;
}

export interface CatalogDownloadOptions {
  /** Folder the catalog is written into (created if missing). */
  destDir: string;
  /** File name inside `destDir`; default `pg_catalog-<host>.csv`. */
  fileName?: string;
  signal?: AbortSignal;
  onProgress?: (p: CatalogDownloadProgress) => void;
  /** Minimum time between two progress calls, ms (default 100). */
  progressIntervalMs?: number;
  /** Inactivity timeout per operation (connect, reply, data), ms (default 30 s). */
  timeoutMs?: number;
  /** TLS: reject untrusted certificates (default true). */
  rejectUnauthorized?: boolean;
}

export interface CatalogDownloadResult {
  /** Absolute path of the catalog written. */
  path: string;
  url: string;
  /** Bytes of the catalog file written (after decompression). */
  bytes: number;
  /** Wall time of the download, ms. */
  ms: number;
}

/** The catalog's URL for a mirror URL (the mirror's root path is kept, credentials are not shown). */
export function catalogUrl(mirror: string): URL {
  let u: URL;
  try {
    u = new URL(mirror);
  } catch {
    throw new FanoutError('BAD_INPUT', `Not a mirror URL: ${mirror}`);
  }
  if (!['ftp:', 'ftps:', 'http:', 'https:'].includes(u.protocol)) {
    throw new FanoutError('BAD_INPUT', `Unsupported mirror protocol: ${u.protocol}`, { host: u.hostname });
  }
  const root = u.pathname.replace(/\/+$/, '');
  const out = new URL(u.href);
  out.pathname = `${root}/${CATALOG_REMOTE_PATH}`;
  out.search = '';
  out.hash = '';
  return out;
}

/** The URL without user and password, for messages. */
function shown(u: URL): string {
  const c = new URL(u.href);
  c.username = '';
  c.password = '';
  return c.href;
}

/** The default local file name: one catalog per mirror host. */
export function catalogFileName(u: URL): string {
  return `pg_catalog-${`${u.hostname}${u.port ? `-${u.port}` : ''}`.replace(/[^a-zA-Z0-9.-]/g, '_')}.csv`;
}

function noCatalog(url: string, context: ErrorContext, code: 'HTTP_NOT_FOUND' | 'FTP_NOT_FOUND', cause?: unknown): FanoutError {
  return new FanoutError(code, `This mirror has no catalog at ${url}`, context, { cause });
}

/** Counts bytes for progress, throttled. */
class ByteCounter extends Transform {
  bytes = 0;
  #last = 0;
  constructor(
    private readonly report: (bytes: number) => void,
    private readonly intervalMs: number,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    const now = performance.now();
    if (now - this.#last >= this.intervalMs) {
      this.#last = now;
      this.report(this.bytes);
    }
    cb(null, chunk);
  }
}

/** Rejects an HTML page served with 200 (a captive portal, a mirror's error page) before it is saved as the catalog. */
class NotHtml extends Transform {
  #checked = false;
  constructor(private readonly url: string) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.#checked) {
      const head = chunk.subarray(0, 256).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart();
      if (head.length === 0) return cb(null, chunk);
      this.#checked = true;
      if (head.startsWith('<')) return cb(new FanoutError('BAD_INPUT', `The mirror answered with a web page, not the catalog, at ${this.url}`));
    }
    cb(null, chunk);
  }
}

async function flushToDisk(path: string): Promise<void> {
  const h = await open(path, 'r+');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * Downloads the official catalog from `mirror` (ftp://, ftps://, http://, https://) into
 * `opts.destDir`, atomically; resolves with its path once it is complete on disk.
 */
export async function downloadCatalog(mirror: string, opts: CatalogDownloadOptions): Promise<CatalogDownloadResult> {
  const u = catalogUrl(mirror);
  const url = shown(u);
  const context: ErrorContext = { host: u.hostname, path: decodeURIComponent(u.pathname) };
  if (opts.signal?.aborted) throw abortedError(context);
  const dest = join(opts.destDir, opts.fileName ?? catalogFileName(u));
  const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(4).toString('hex')}.part`);
  await mkdir(dirname(dest), { recursive: true });
  const t0 = performance.now();
  const interval = opts.progressIntervalMs ?? 100;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let total: number | null = null;
  const report = (bytes: number) => opts.onProgress?.({ url, bytes, total });
  let received = 0;
  const target: TransferTarget = { u, url, tmp, context, opts: { ...opts, timeoutMs }, setTotal: (t) => (total = t), report, interval };
  try {
    if (u.protocol === 'ftp:' || u.protocol === 'ftps:') {
      received = await ftpDownload(target);
    } else {
      received = await httpDownload(target);
    }
    await flushToDisk(tmp);
    const { size } = await stat(tmp);
    if (size === 0) throw new FanoutError('SIZE_MISMATCH', `The catalog at ${url} is empty`, context);
    if (opts.signal?.aborted) throw abortedError(context);
    await rename(tmp, dest);
    report(received);
    return { path: dest, url, bytes: size, ms: Math.round(performance.now() - t0) };
  } catch (raw) {
    await rm(tmp, { force: true }).catch(() => {});
    if (opts.signal?.aborted || isAbortError(raw)) throw abortedError(context);
    if (raw instanceof FanoutError) throw raw.withContext(context);
    throw mapSocketError(raw, context);
  }
}

/** One catalog transfer: where from, where to, and how to report. */
interface TransferTarget {
  u: URL;
  /** The URL as shown to the user (no credentials). */
  url: string;
  /** Temp file the bytes go to before the rename. */
  tmp: string;
  context: ErrorContext;
  opts: CatalogDownloadOptions & { timeoutMs: number };
  setTotal: (t: number | null) => void;
  report: (bytes: number) => void;
  /** Progress period, ms. */
  interval: number;
}

async function httpDownload(t: TransferTarget): Promise<number> {
  const { u, url, tmp, context, opts, setTotal, report, interval } = t;
  let current = u;
  for (let hop = 0; ; hop++) {
    const res = await httpGet(current, opts);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new FanoutError('HTTP_PERMANENT', `Too many redirects for ${url}`, context);
      const next = new URL(res.headers.location, current);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new FanoutError('HTTP_PERMANENT', `Redirected to an unsupported URL for ${url}`, context);
      current = next;
      continue;
    }
    if (status === 404 || status === 410) {
      res.resume();
      throw noCatalog(url, context, 'HTTP_NOT_FOUND');
    }
    if (status !== 200) {
      res.resume();
      const e = httpStatusError(status, context);
      throw new FanoutError(e.code, `${e.message} for ${url}`, context);
    }
    const length = Number(res.headers['content-length']);
    setTotal(Number.isFinite(length) && length > 0 ? length : null);
    const counter = new ByteCounter(report, interval);
    const gz = /\bgzip\b/i.test(String(res.headers['content-encoding'] ?? ''));
    const po = opts.signal ? { signal: opts.signal } : {};
    // Create the temp file before streaming: a write stream opens its file lazily, and a failure
    // that ends the pipeline first could otherwise create it after the caller's clean-up.
    const out = (await open(tmp, 'w')).createWriteStream();
    if (gz) await pipeline(res, counter, createGunzip(), new NotHtml(url), out, po);
    else await pipeline(res, counter, new NotHtml(url), out, po);
    if (!gz && Number.isFinite(length) && length > 0 && counter.bytes !== length) {
      throw new FanoutError('SIZE_MISMATCH', `The catalog download from ${url} was cut short (${counter.bytes} of ${length} bytes)`, context);
    }
    return counter.bytes;
  }
}

function httpGet(u: URL, opts: CatalogDownloadOptions & { timeoutMs: number }): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = u.protocol === 'https:';
    const req = (secure ? https : http).request(
      u,
      {
        method: 'GET',
        headers: { 'User-Agent': 'fanout', 'Accept-Encoding': 'gzip' },
        ...(secure ? { rejectUnauthorized: opts.rejectUnauthorized ?? true } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      resolve,
    );
    req.setTimeout(opts.timeoutMs, () => req.destroy(Object.assign(new Error(`timed out after ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

async function ftpDownload(t: TransferTarget): Promise<number> {
  const { u, url, tmp, context, opts, setTotal, report, interval } = t;
  const port = u.port ? Number(u.port) : 21;
  const secure = u.protocol === 'ftps:' ? (port === 990 ? ('implicit' as const) : true) : false;
  const remotePath = decodeURIComponent(u.pathname);
  const client = new Client(opts.timeoutMs);
  const onAbort = () => client.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let phase: 'login' | 'transfer' = 'login';
  try {
    await client.access({
      host: u.hostname,
      port,
      user: u.username ? decodeURIComponent(u.username) : 'anonymous',
      password: u.password ? decodeURIComponent(u.password) : 'anonymous@',
      secure,
      secureOptions: secure ? { rejectUnauthorized: opts.rejectUnauthorized ?? true } : undefined,
    });
    phase = 'transfer';
    let size: number | null = null;
    try {
      size = await client.size(remotePath);
    } catch (raw) {
      const e = mapFtpError(raw, 'transfer', context);
      if (e.code === 'FTP_NOT_FOUND') throw noCatalog(url, context, 'FTP_NOT_FOUND', raw);
      if (client.closed) throw e;
      // SIZE is optional (RFC 3659): go on without a total.
    }
    setTotal(size);
    let last = 0;
    let bytes = 0;
    client.trackProgress((info) => {
      bytes = info.bytes;
      const now = performance.now();
      if (now - last >= interval) {
        last = now;
        report(bytes);
      }
    });
    await client.downloadTo(tmp, remotePath);
    client.trackProgress();
    if (size !== null && bytes !== size) {
      throw new FanoutError('SIZE_MISMATCH', `The catalog download from ${url} was cut short (${bytes} of ${size} bytes)`, context);
    }
    return bytes;
  } catch (raw) {
    if (opts.signal?.aborted) throw abortedError(context);
    if (raw instanceof FanoutError) throw raw;
    const e = mapFtpError(raw, phase, context);
    if (e.code === 'FTP_NOT_FOUND') throw noCatalog(url, context, 'FTP_NOT_FOUND', raw);
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    client.close();
  }
}
