import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FanoutError, abortedError, sizeMismatch } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';
import { decoderFor } from './content-coding';
import { classifyFileResponse } from './http-file-response';
import type { HttpRunHost } from './http-pipeline';
import { readBounded, sendRequest } from './http-response';
import { connectionError } from './http-run-types';
import type { FetchedFile, FetchFileOptions } from './types';

/** Bytes of a redirect or error body read to keep the connection. */
const MAX_DISCARD_BYTES = 64 * 1024;

/**
 * One file of the mirror (`relPath` under its root) into `opts.dest`, on the session's connection:
 * the same Client (TLS, timeouts, stall rule, keep-alive learning) as the books. Redirects (≤ 3,
 * http/https) are followed; gzip is asked for and undone when `acceptGzip`; Content-Length is checked
 * against the bytes on the wire.
 */
export async function fetchHttpFile(host: HttpRunHost, relPath: string, opts: FetchFileOptions): Promise<FetchedFile> {
  let url = new URL(`${host.base}/${relPath}`);
  const context = (): ErrorContext => ({ host: url.hostname, path: decodeURIComponent(url.pathname) });
  if (opts.signal?.aborted) throw abortedError(context());
  const onAbort = () => host.dropClients();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (let hops = 0; ; hops++) {
      const client = host.client(url.origin);
      const res = await sendRequest(client, {
        path: url.pathname + url.search,
        headers: { 'user-agent': 'fanout', ...(opts.acceptGzip ? { 'accept-encoding': 'gzip' } : {}) },
        stall: host.stall,
        mayPause: (h) => host.mayPause(client, h),
      });
      const action = classifyFileResponse({ status: res.statusCode, headers: res.headers, url, hops, startAt: 0, kept: null, round: 0, context: context() });
      if (action.kind !== 'body') {
        await readBounded(res.body, MAX_DISCARD_BYTES, false);
        if (action.kind === 'redirect') {
          url = action.url;
          continue;
        }
        if (action.kind === 'fail') throw action.error;
        // 'missing' (404/410; a first request has no part to restart or keep).
        throw new FanoutError('HTTP_NOT_FOUND', `HTTP ${res.statusCode}`, context(), { detail: { httpStatus: res.statusCode } });
      }
      const total = action.length;
      const counter = new Counter((n) => opts.onProgress?.(n, total));
      const out = (await open(opts.dest, 'w')).createWriteStream();
      try {
        // A compressed body (asked with acceptGzip, or sent unasked) is undone: content-coding.ts.
        if (action.coding) await pipeline(res.body, counter, decoderFor(action.coding), out);
        else await pipeline(res.body, counter, out);
      } catch (e) {
        throw cutShort(e, counter.bytes, total, context()) ?? e;
      }
      if (total !== null && counter.bytes !== total) throw sizeMismatch(counter.bytes, total, context());
      return { url: url.href, received: counter.bytes, total };
    }
  } catch (e) {
    if (opts.signal?.aborted) throw abortedError(context());
    throw connectionError(e, context());
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * A body that ended before its Content-Length: the server closed the connection (undici: 'other side
 * closed', a length mismatch), and a gzip stream then ends early too. SIZE_MISMATCH with the count
 * (`sizeMismatch`, verdict `short`; the catalog download says "cut short" from it), the connection's
 * words kept in the message; null for anything else (a timeout, a local write error, a cancel).
 */
function cutShort(e: unknown, received: number, total: number | null, context: ErrorContext): FanoutError | null {
  if (total === null || received >= total) return null;
  const err = connectionError(e, context, { received, expected: total });
  if (err.detail.size) return err; // undici saw the lengths differ
  const code = (e as { code?: unknown })?.code;
  const zlib = typeof code === 'string' && code.startsWith('Z_');
  if (!zlib && err.code !== 'CONNECTION_RESET') return null;
  return sizeMismatch(received, total, context, ` (${err.message})`, e);
}

/** Counts the bytes that pass. */
class Counter extends Transform {
  bytes = 0;
  constructor(private readonly report: (bytes: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.report(this.bytes);
    cb(null, chunk);
  }
}
