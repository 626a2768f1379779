import type { IncomingHttpHeaders } from 'node:http';
import { FanoutError } from '../core/fanout-error';
import { contentCodingOf, type ContentCoding } from './content-coding';
import { describeWait, parseRetryAfter } from '../net/retry-after';
import type { ErrorContext } from '../../../shared/errors';
import type { PartMeta } from './part-meta';
import { partialMismatch } from './resume-check';

export const MAX_REDIRECTS = 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** What a file request's response means, from its status and headers alone. */
export type FileAction =
  /** Ask `url` instead (same step, one hop more). */
  | { kind: 'redirect'; url: URL }
  /** No such file: try the book's next candidate. */
  | { kind: 'missing' }
  | { kind: 'fail'; error: FanoutError }
  /** 416 to a resume, and the kept part is already the whole (same) file. */
  | { kind: 'kept-whole' }
  /** The server would not resume: forget the part and ask again from the start. */
  | { kind: 'restart'; why: string }
  /**
   * Stream the body into the part (`discardPart`: a whole file came back, the kept part goes first).
   * `coding`: the body comes compressed (`Content-Encoding`, unasked: Apache's `force-gzip`), to be
   * undone before the part; `length` is then the compressed size (undici checks it on the wire).
   */
  | { kind: 'body'; discardPart: boolean; length: number | null; coding: ContentCoding | null };


export interface FileResponseInput {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL asked (redirects resolve against it). */
  url: URL;
  /** Redirects followed so far for this step. */
  hops: number;
  /** Resume offset sent (`Range: bytes=<startAt>-`), 0 for a whole file. */
  startAt: number;
  /** What was recorded about the remote file when the kept part was started. */
  kept: PartMeta | null;
  /** Restarts already asked for this step (one at most). */
  round: number;
  context: ErrorContext;
}

/**
 * Classifies the response to a file GET (pure): redirects (≤ 3, http/https only), 404/410, a
 * resume answered with 416 / 200 / a 206 that does not fit the kept part (see resume-check.ts),
 * other statuses through `httpStatusError`.
 */
export function classifyFileResponse(r: FileResponseInput): FileAction {
  const { status, headers, context } = r;
  const location = one(headers.location);
  if (REDIRECTS.has(status) && location) {
    const next = new URL(location, r.url);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') return fail(`Redirect to an unsupported URL: ${next.protocol}`, status, context);
    if (r.hops >= MAX_REDIRECTS) return fail(`More than ${MAX_REDIRECTS} redirects`, status, context);
    return { kind: 'redirect', url: next };
  }
  if (status === 404 || status === 410) return { kind: 'missing' };
  const restart = (why: string): FileAction =>
    r.round >= 1 ? fail(`The server would not resume nor restart the download (${why})`, status, context) : { kind: 'restart', why };
  if (status === 416) {
    // `Content-Range: bytes */<size>`: the part is at least the whole (same) file.
    const total = Number(/^bytes \*\/(\d+)$/.exec(String(one(headers['content-range']) ?? '').trim())?.[1] ?? NaN);
    const sameSize = r.kept === null || r.kept.size === null || r.kept.size === total;
    return r.startAt > 0 && total === r.startAt && sameSize ? { kind: 'kept-whole' } : restart('416');
  }
  if (status < 200 || status >= 300) return { kind: 'fail', error: httpStatusError(status, context, headers) };
  const lengthHeader = one(headers['content-length']);
  const length = lengthHeader !== undefined && /^\d+$/.test(lengthHeader.trim()) ? Number(lengthHeader) : null;
  // A server may compress a file nobody asked it to (Apache `SetOutputFilter DEFLATE` with
  // `force-gzip`): its bytes are not the file's. Undone on the way to the part; one we cannot undo fails.
  const coding = contentCodingOf(one(headers['content-encoding']));
  if (coding === undefined) return fail(`The server sent the file in a content coding Fanout cannot undo (Content-Encoding: ${one(headers['content-encoding'])})`, status, context);
  if (r.startAt > 0 && (status !== 206 || coding !== null || partialMismatch(headers, r.startAt, r.kept) !== null)) {
    // A 200 is the whole file (the If-Range validator no longer matched, or no Range support):
    // restart with it. Any other answer (a range of a compressed body: not the file's bytes): forget the part and ask again.
    return status === 200 ? { kind: 'body', discardPart: true, length, coding } : restart(coding !== null ? `a ${coding}-encoded range` : `status ${status}`);
  }
  return { kind: 'body', discardPart: false, length, coding };
}

/**
 * HTTP status → FanoutError: 429/5xx transient, 404/410 not found, other 4xx (and odd codes)
 * permanent; the status in `detail.httpStatus` (readers decide on it, not on the message). A 429
 * or 503 with `Retry-After` carries the wait asked for (`retryAfterMs`): the retry waits that
 * long, and the job's other lanes hold their requests to the host as long.
 */
export function httpStatusError(status: number, context: ErrorContext, headers?: IncomingHttpHeaders): FanoutError {
  const msg = `HTTP ${status}`;
  const detail = { httpStatus: status };
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(headers?.['retry-after']) : null;
  if (retryAfterMs !== null) return new FanoutError('HTTP_TRANSIENT', `${msg} (the server asks to wait ${describeWait(retryAfterMs)})`, context, { retryAfterMs, detail });
  if (status === 429 || status >= 500) return new FanoutError('HTTP_TRANSIENT', msg, context, { detail });
  if (status === 404 || status === 410) return new FanoutError('HTTP_NOT_FOUND', msg, context, { detail });
  return new FanoutError('HTTP_PERMANENT', msg, context, { detail });
}

export function one(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

/** HTTP_PERMANENT, with the status of the response that ended the request (a redirect too many, a resume refused). */
function fail(message: string, status: number, context: ErrorContext): FileAction {
  return { kind: 'fail', error: new FanoutError('HTTP_PERMANENT', message, context, { detail: { httpStatus: status } }) };
}
