import http from 'node:http';
import https from 'node:https';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { FanoutError, abortedError } from '../core/fanout-error';
import { mapSocketError } from './net-errors';
import type { WorkerContext } from '../core/worker-context';
import type { ErrorContext } from '../../../shared/errors';
import { BookSink } from './book-sink';
import { parseHtmlIndex } from './listing-parsers';
import { assertEbook, bookDir, candidates, type Candidate } from './mirror-layout';
import { metaFromHeaders, partialMismatch, resumeHeaders } from './resume-check';
import type { TlsTrust } from './tls-trust';
import type { FetchBookOptions, FetchedBook, MirrorSession } from './types';

export interface HttpTarget {
  /** Mirror root URL without trailing slash, e.g. `https://host/gutenberg`. */
  base: string;
  host: string;
  timeoutMs: number;
  /** Certificate checks for https:// (also after a redirect to https). */
  tls: TlsTrust;
}

const MAX_REDIRECTS = 3;
const MAX_INDEX_BYTES = 4 * 1024 * 1024;

/**
 * One worker's HTTP session: its own keep-alive agent with one socket, so every request of this
 * lane reuses one connection (1 round trip per request). Per book: GET `N-0.txt`; on 404 GET the
 * folder index and then the best file it lists; `cache/epub/N/pgN.txt` last (see mirror-layout.ts
 * for the round-trip reasoning). A `.part` is resumed with `Range` and `If-Range` (the ETag or
 * strong Last-Modified recorded when the part was started), so a file that changed on the server
 * comes back whole (200) instead of being spliced onto the old part; Content-Length is checked.
 *
 * Why an agent per session and not one shared agent sized to the pool: the pool's worker count
 * then is the connection count (the adaptive strategy and the 429/421 shrink act on connections
 * directly), a lane never waits for another lane's socket, and closing a session closes its socket.
 */
export class HttpSession implements MirrorSession {
  private httpAgent: http.Agent | null = null;
  private httpsAgent: https.Agent | null = null;

  constructor(
    private readonly target: HttpTarget,
    readonly workerId: number,
  ) {}

  async fetchBook(ebook: number, opts: FetchBookOptions): Promise<FetchedBook> {
    assertEbook(ebook);
    const { ctx } = opts;
    const dir = bookDir(ebook);
    const context: ErrorContext = { host: this.target.host, ebook, path: `/${dir}/` };
    if (ctx.signal.aborted) throw abortedError(context);
    try {
      const label = String(ebook);
      const all = candidates(ebook, 'http');
      const best = all[0]!;
      const tried = new Set<Candidate>([best]);
      ctx.progress.setState('listing', label);
      const direct = await this.tryCandidate(ebook, best, opts, context);
      if (direct) return direct;

      // Not the best form: read the folder index once, then fetch the best file it lists.
      let rest: Candidate[];
      const index = await this.readIndex(`${this.target.base}/${dir}/`, ctx, context);
      if (index === 'missing') rest = all.filter((c) => c.cache);
      else if (index === 'no-index') rest = all.filter((c) => !tried.has(c));
      else rest = all.filter((c) => !tried.has(c) && (c.cache || index.has(c.remoteName)));
      for (const cand of rest) {
        if (ctx.signal.aborted) throw abortedError(context);
        const got = await this.tryCandidate(ebook, cand, opts, context);
        if (got) return got;
      }
      throw new FanoutError('BOOK_NOT_FOUND', `No text file of ebook ${ebook} on ${this.target.host}`, { ...context, path: `/${dir}/` });
    } catch (e) {
      if (ctx.signal.aborted) throw abortedError(context);
      throw mapSocketError(e, context);
    }
  }

  async close(): Promise<void> {
    this.httpAgent?.destroy();
    this.httpsAgent?.destroy();
    this.httpAgent = null;
    this.httpsAgent = null;
  }

  /** Downloads `cand` into the sink; null when the server has no such file (404/410). */
  private async tryCandidate(ebook: number, cand: Candidate, opts: FetchBookOptions, parent: ErrorContext): Promise<FetchedBook | null> {
    const { ctx } = opts;
    const url = `${this.target.base}/${cand.relPath}`;
    const context: ErrorContext = { ...parent, path: new URL(url).pathname };
    const sink = await BookSink.open({ rawDir: opts.rawDir, remoteName: cand.remoteName, textName: cand.textName, fromZip: cand.fromZip, progress: ctx.progress, context });
    try {
      // Second round only after the server refused to resume (416, a 206 of another file or range).
      for (let round = 0; round < 2; round++) {
        const startAt = sink.startAt;
        const res = await this.get(url, resumeHeaders(startAt, sink.kept), ctx, context);
        const status = res.statusCode ?? 0;
        if (status === 404 || status === 410) {
          res.resume();
          return null;
        }
        if (status === 416) {
          res.resume();
          // `Content-Range: bytes */<size>`: the part is at least the whole (same) file.
          const total = Number(/^bytes \*\/(\d+)$/.exec(String(res.headers['content-range'] ?? '').trim())?.[1] ?? NaN);
          const sameSize = sink.kept === null || sink.kept.size === null || sink.kept.size === total;
          if (startAt > 0 && total === startAt && sameSize) {
            sink.begin(); // the kept part is the whole file
            sink.input.end();
            await once(sink.input, 'finish');
            return await this.result(ebook, cand, url, sink, startAt);
          }
          await sink.discard();
          continue;
        }
        if (status < 200 || status >= 300) {
          res.resume();
          throw httpStatusError(status, context);
        }
        if (startAt > 0 && (status !== 206 || partialMismatch(res.headers, startAt, sink.kept) !== null)) {
          // A 200 is the whole file (the If-Range validator no longer matched, or no Range
          // support): restart with it. Any other answer: forget the part and ask again.
          await sink.discard();
          if (status !== 200) {
            res.resume();
            continue;
          }
        }
        const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
        ctx.progress.setState('downloading', String(ebook));
        ctx.progress.setItemTotal(length);
        sink.begin(sink.startAt === 0 ? metaFromHeaders(res.headers, status === 200 ? length : null) : undefined);
        await pipeline(res, sink.input);
        if (length !== null && sink.received !== length) {
          throw new FanoutError('SIZE_MISMATCH', `Received ${sink.received} of ${length} bytes`, context);
        }
        return await this.result(ebook, cand, url, sink, sink.startAt);
      }
      throw new FanoutError('HTTP_PERMANENT', 'The server would not resume nor restart the download', context);
    } finally {
      await sink.close();
    }
  }

  private async result(ebook: number, cand: Candidate, url: string, sink: BookSink, startAt: number): Promise<FetchedBook> {
    const transferred = sink.received;
    const r = await sink.finish();
    return {
      ebook,
      url,
      remoteName: cand.remoteName,
      rawPath: r.rawPath,
      bytes: r.bytes,
      sha256: r.sha256,
      encodingHint: cand.encodingHint,
      fromZip: cand.fromZip,
      transferredBytes: transferred,
      resumedFrom: startAt,
    };
  }

  /** The names an HTML folder index links to; 'missing' on 404; 'no-index' when the server has none. */
  private async readIndex(url: string, ctx: WorkerContext, context: ErrorContext): Promise<Set<string> | 'missing' | 'no-index'> {
    const res = await this.get(url, {}, ctx, context);
    const status = res.statusCode ?? 0;
    if (status === 404 || status === 410) {
      res.resume();
      return 'missing';
    }
    if (status === 429 || status >= 500) {
      res.resume();
      throw httpStatusError(status, context);
    }
    if (status !== 200) {
      res.resume();
      return 'no-index';
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res) {
      size += (chunk as Buffer).length;
      if (size > MAX_INDEX_BYTES) {
        res.destroy();
        return 'no-index';
      }
      chunks.push(chunk as Buffer);
    }
    return new Set(parseHtmlIndex(Buffer.concat(chunks).toString('utf8')).filter((e) => !e.isDir).map((e) => e.name));
  }

  /** GET following at most 3 redirects (http/https only). Rejects on socket errors and timeouts. */
  private async get(url: string, headers: Record<string, string>, ctx: WorkerContext, context: ErrorContext): Promise<http.IncomingMessage> {
    let current = new URL(url);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const res = await this.request(current, headers, ctx.signal);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(status) || !location) return res;
      res.resume();
      const next = new URL(location, current);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new FanoutError('HTTP_PERMANENT', `Redirect to an unsupported URL: ${next.protocol}`, context);
      }
      current = next;
    }
    throw new FanoutError('HTTP_PERMANENT', `More than ${MAX_REDIRECTS} redirects`, context);
  }

  private request(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const agent = secure ? this.agentHttps() : this.agentHttp();
      const req = (secure ? https : http).request(url, { method: 'GET', agent, headers: { 'User-Agent': 'fanout', ...headers }, signal }, resolve);
      req.setTimeout(this.target.timeoutMs, () => {
        req.destroy(Object.assign(new Error(`No answer from ${url.host} in ${this.target.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      req.once('error', reject);
      req.end();
    });
  }

  private agentHttp(): http.Agent {
    return (this.httpAgent ??= new http.Agent({ keepAlive: true, maxSockets: 1, timeout: this.target.timeoutMs }));
  }

  private agentHttps(): https.Agent {
    return (this.httpsAgent ??= new https.Agent({
      keepAlive: true,
      maxSockets: 1,
      timeout: this.target.timeoutMs,
      ...this.target.tls,
    }));
  }
}

/** HTTP status → FanoutError: 429/5xx transient, 404/410 not found, other 4xx (and odd codes) permanent. */
export function httpStatusError(status: number, context: ErrorContext): FanoutError {
  const msg = `HTTP ${status}`;
  if (status === 429 || status >= 500) return new FanoutError('HTTP_TRANSIENT', msg, context);
  if (status === 404 || status === 410) return new FanoutError('HTTP_NOT_FOUND', msg, context);
  return new FanoutError('HTTP_PERMANENT', msg, context);
}
