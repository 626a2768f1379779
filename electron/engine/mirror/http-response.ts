import type { IncomingHttpHeaders } from 'node:http';
import { Readable, type Writable } from 'node:stream';
import type { Client, Dispatcher } from 'undici';

/** A response whose body streams as it arrives. */
export interface HttpResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

export interface StallRule {
  /** Window, ms: a body that receives fewer than `minBytes` in one (while we are reading) is cut. */
  ms: number;
  minBytes: number;
}

export interface SendOptions {
  path: string;
  headers: Record<string, string>;
  stall: StallRule;
  /**
   * Called with each response's headers: may its body pause the connection while the disk catches
   * up? See `sendRequest` for why the answer must be false on a connection the server closes.
   */
  mayPause(headers: IncomingHttpHeaders): boolean;
}

/** The error a stalled body is cut with (a timeout of the connection: the batch retries its books). */
export function stallError(path: string, rule: StallRule): Error {
  return Object.assign(new Error(`No progress on ${path}: fewer than ${rule.minBytes} bytes in ${rule.ms} ms`), { code: 'ETIMEDOUT' });
}

/**
 * One GET on `client` (queued behind the requests already on its connection: pipelining, `blocking:
 * false`). Resolves at the headers; the body streams into `body`, which pauses the connection when
 * it is not read (backpressure) only when `mayPause` allowed it for this response.
 *
 * Why not undici's `request()`: its body pauses the HTTP parser whenever the reader is behind, and
 * undici 7 asserts the parser is not paused when a response that is not keep-alive ends
 * (`Parser.finish`, called on the socket's end): with a server that closes after each response,
 * a paused last chunk threw `AssertionError: assert(!this.paused)` out of a socket event and killed
 * the process, or cut the body short ("does not match content-length"). Such a body is read without
 * pausing (it buffers at most the one response in memory; nothing else is queued on a connection
 * that is not known to be kept alive).
 *
 * Stall timeout: undici's `bodyTimeout` only fires when nothing at all arrives; a body that trickles
 * would never end. While the reader keeps up, fewer than `stall.minBytes` in `stall.ms` cuts the
 * request (which destroys the connection: the batch ends and its books are retried).
 */
export function sendRequest(client: Client, opts: SendOptions): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    let ended = false;
    let body: Readable | null = null;
    let pausable = false;
    let windowBytes = 0;
    let judged = true; // false when the reader paused us during the window: not the server's fault
    let timer: NodeJS.Timeout | null = null;
    const stop = () => {
      if (timer) clearInterval(timer);
      timer = null;
    };
    const handler: Dispatcher.DispatchHandler = {
      // Its presence tells undici this is a controller-style handler (see undici's UnwrapHandler).
      onRequestStart() {},
      onResponseStart(c, statusCode, headers) {
        if (statusCode < 200) return;
        const h = headers as IncomingHttpHeaders;
        pausable = opts.mayPause(h);
        body = new Readable({
          // As much as undici's own body buffers before it pauses the connection.
          highWaterMark: 64 * 1024,
          // The reader wants more: let the connection go on.
          read: () => c.resume(),
          destroy: (err, cb) => {
            stop();
            if (!ended) c.abort(err ?? new Error('The response body was dropped'));
            cb(err);
          },
        });
        // A body may fail before its reader comes (queued behind others): the reader still sees the
        // error (streams keep it), and an 'error' with no listener would crash the process.
        body.on('error', () => {});
        timer = setInterval(() => {
          if (judged && !c.paused && windowBytes < opts.stall.minBytes) {
            stop();
            body?.destroy(stallError(opts.path, opts.stall));
            return;
          }
          windowBytes = 0;
          judged = true;
        }, opts.stall.ms);
        timer.unref?.();
        resolve({ statusCode, headers: h, body });
      },
      onResponseData(c, chunk) {
        windowBytes += chunk.length;
        if (!body!.push(chunk) && pausable) {
          judged = false;
          c.pause();
        }
      },
      onResponseEnd() {
        ended = true;
        stop();
        body?.push(null);
      },
      onResponseError(_c, err) {
        ended = true;
        stop();
        if (body) body.destroy(err);
        else reject(err);
      },
    };
    try {
      client.dispatch({ path: opts.path, method: 'GET', headers: opts.headers, blocking: false }, handler);
    } catch (e) {
      reject(e);
    }
  });
}

/**
 * Reads a whole body, at most `maxBytes` of it: the bytes (when `keep`), an empty buffer (when
 * not), or null when it was larger (the body is then destroyed, and with it the connection).
 * One reader for the bodies we need (folder indexes) and the ones read only to keep the
 * connection (404 pages, redirects).
 */
export async function readBounded(body: Readable, maxBytes: number, keep: boolean): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      return null;
    }
    if (keep) chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Streams a response body into its sink's `input` (backpressure through `pipe`) and resolves once
 * `input` finished (every write landed). Either side's error destroys both (a dropped body aborts its
 * request) and rejects with it; a side closed early rejects as `ERR_STREAM_PREMATURE_CLOSE`, as
 * `stream.pipeline` does. Not `pipeline` itself: per book it made an AbortController, aborted it at the
 * end (a DOMException and an event dispatch) and end-of-stream listeners on both sides, ~10 % of the
 * main thread's stream work in the HTTP job's profile (docs/BENCHMARKS.md, "Session 6").
 */
export function pumpBody(body: Readable, input: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      body.destroy(err);
      input.destroy(err);
      reject(err);
    };
    const early = () => Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    body.on('error', fail);
    input.on('error', fail);
    body.on('close', () => {
      if (!body.readableEnded) fail(early());
    });
    input.on('close', () => {
      if (!input.writableFinished) fail(early());
    });
    input.on('finish', () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    // A body queued behind others may have failed before its reader came: its events are past.
    if (body.errored) return fail(body.errored);
    if (body.destroyed && !body.readableEnded) return fail(early());
    body.pipe(input);
  });
}
