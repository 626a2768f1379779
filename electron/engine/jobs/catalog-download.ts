/**
 * Downloads the official catalog (`cache/epub/feeds/pg_catalog.csv`, ~20 MB) from a Gutenberg
 * mirror into a local folder. Electron-free.
 *
 * - One mirror client: the file is fetched by a session of `openMirror` (mirror/), the same code,
 *   TLS options (extra CAs, untrusted certificates, implicit FTPS), timeouts and stall rule as the
 *   books. HTTP(S) asks for gzip and follows up to 3 redirects; FTP(S) `SIZE` then `RETR`.
 * - Atomic: the bytes go to a hidden temp file beside the target, which is flushed to disk and then
 *   renamed over it, so a reader (or a crash) never sees half a catalog; a failure removes it.
 * - Progress: `onProgress` is called at most every `progressIntervalMs` and once at the end, with
 *   bytes received from the network (compressed bytes when the server sends gzip).
 * - Cancellation: `signal` aborts the transfer (drops the connection); rejects with ABORTED.
 * - A 404 / 550 says "this mirror has no catalog at <url>"; a web page served instead of the
 *   catalog (a captive portal) is refused.
 */
import { open, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ErrorContext } from '../../../shared/errors';
import { FanoutError, abortedError, isAbortError } from '../core/fanout-error';
import { openMirror } from '../mirror';
import type { MirrorTlsOptions } from '../mirror/types';
import { mapSocketError } from '../mirror/net-errors';
import { removeStaleTempFiles, renameDurably, tempPathFor } from '../output/atomic-file';
import { makeDirs } from '../output/make-dirs';
import { storageFault } from '../output/storage-fault';

/** Where the official catalog lives on every mirror, relative to the mirror root. */
export const CATALOG_REMOTE_PATH = 'cache/epub/feeds/pg_catalog.csv';

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
  /** TLS for https:// and ftps:// (extra CAs, untrusted certificates, implicit FTPS), as for the books. */
  tls?: MirrorTlsOptions;
  /** Shorthand for `tls.rejectUnauthorized` (default true). */
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

/** A web page served with 200 (a captive portal, a mirror's error page) instead of the catalog. */
async function looksLikeHtml(path: string): Promise<boolean> {
  const h = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await h.read(Buffer.alloc(256), 0, 256, 0);
    return buffer.subarray(0, bytesRead).toString('latin1').replace(/^\xEF\xBB\xBF/, '').trimStart().startsWith('<');
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
  // The atomic module's temp name: a leftover of a killed run is one `removeStaleTempFiles` knows.
  const tmp = tempPathFor(dest);
  // The folder made and the temp file created before any request: a folder this user may not
  // write (or a full disk) is said now, naming it, not after the download started (EACCES from
  // mkdir was a raw Node error; from the temp, WRITE_FAILED naming the temp file).
  try {
    await makeDirs(dirname(dest));
    await (await open(tmp, 'w')).close();
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw storageFault(err, dirname(dest)) ?? new FanoutError('WRITE_FAILED', `Cannot write the catalog into ${dirname(dest)}: ${(err as Error).message}`, { ...context, folder: dirname(dest) }, { cause: err });
  }
  // Temps of a killed download; an hour untouched (a live download's temp grows, so stays fresh).
  await removeStaleTempFiles(dirname(dest), { olderThanMs: 3_600_000 }).catch(() => {});
  const t0 = performance.now();
  const interval = opts.progressIntervalMs ?? 100;
  const tls: MirrorTlsOptions = { ...opts.tls, ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}) };
  const m = openMirror(mirror, { timeoutMs: opts.timeoutMs ?? 30_000, tls });
  let last = 0;
  try {
    const got = await m.openSession(0).fetchFile(CATALOG_REMOTE_PATH, {
      dest: tmp,
      acceptGzip: true,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onProgress: (bytes, total) => {
        const now = performance.now();
        if (now - last < interval) return;
        last = now;
        opts.onProgress?.({ url, bytes, total });
      },
    });
    const { size } = await stat(tmp);
    if (size === 0) throw new FanoutError('SIZE_MISMATCH', `The catalog at ${url} is empty`, context);
    if (await looksLikeHtml(tmp)) throw new FanoutError('BAD_INPUT', `The mirror answered with a web page, not the catalog, at ${url}`, context);
    if (opts.signal?.aborted) throw abortedError(context);
    await renameDurably(tmp, dest); // fsynced, renamed, folder fsynced: whole after a power cut
    opts.onProgress?.({ url, bytes: got.received, total: got.total });
    return { path: dest, url, bytes: size, ms: Math.round(performance.now() - t0) };
  } catch (raw) {
    await rm(tmp, { force: true }).catch(() => {});
    if (opts.signal?.aborted || isAbortError(raw)) throw abortedError(context);
    const fault = storageFault(raw, dirname(dest));
    if (fault) throw fault;
    const e = raw instanceof FanoutError ? raw.withContext(context) : mapSocketError(raw, context);
    if (e.code === 'HTTP_NOT_FOUND' || e.code === 'FTP_NOT_FOUND') throw noCatalog(url, context, e.code, raw);
    // The transfer's byte count against the size given (core/fanout-error.ts sizeMismatch): fewer, cut short; more, the file changed during the download.
    const size = e.code === 'SIZE_MISMATCH' ? e.detail.size : undefined;
    if (size) {
      const what = size.verdict === 'short' ? 'was cut short' : 'changed on the server during the download';
      throw new FanoutError('SIZE_MISMATCH', `The catalog download from ${url} ${what} (${e.message})`, context, { cause: e });
    }
    if (e.code.startsWith('HTTP_') || e.code.startsWith('FTP_')) throw new FanoutError(e.code, `${e.message} for ${url}`, context, { cause: raw });
    throw e;
  } finally {
    await m.close();
  }
}
