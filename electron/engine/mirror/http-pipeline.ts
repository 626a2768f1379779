import type { IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { Client, Dispatcher } from 'undici';
import { FanoutError, abortedError, toFanoutError } from '../core/fanout-error';
import type { WorkerContext } from '../core/worker-context';
import type { ErrorContext } from '../../../shared/errors';
import { BookSink } from './book-sink';
import { parseHtmlIndex } from './listing-parsers';
import { bookDir, candidates, type Candidate } from './mirror-layout';
import { isConnectionError, mapSocketError } from './net-errors';
import { metaFromHeaders, partialMismatch, resumeHeaders } from './resume-check';
import type { FetchedBook } from './types';
import { toFetchedBook } from './fetched-book';

const MAX_REDIRECTS = 3;
const MAX_INDEX_BYTES = 4 * 1024 * 1024;
/** Bytes of an unwanted body (a 404 page, an index not needed) read to keep the connection; past this it is dropped. */
const MAX_DRAIN_BYTES = 1024 * 1024;

/** What a run needs from its session: the mirror, one undici Client per origin, counters. */
export interface HttpRunHost {
  /** Mirror root URL without trailing slash. */
  readonly base: string;
  readonly host: string;
  /** Requests in flight at most (the Clients' `pipelining`). */
  readonly depth: number;
  client(origin: string): Client;
  /** Destroys every connection (fails whatever is queued on them). */
  dropClients(): void;
  /** A request went out; `inFlight` counts the ones sent and not yet answered, this one included. */
  noteRequest(inFlight: number): void;
  noteResponse(): void;
}

export interface HttpRunOptions {
  rawDir: string;
  ctx: WorkerContext;
  /** Called as each book lands (chained, in landing order). */
  onFetched?: (book: FetchedBook) => Promise<void>;
  /**
   * Send `GET <dir>/` right behind each book's `GET N-0.txt`, so that a miss costs one more round
   * trip (the file the index names) instead of two (index, then file). Costs one small response
   * per hit.
   */
  speculateIndex: boolean;
}

interface Book {
  ebook: number;
  label: string;
  context: ErrorContext;
  all: Candidate[];
  tried: Set<Candidate>;
  /** Candidates still to try once the folder index was read; null until then. */
  rest: Candidate[] | null;
  /** An index request for this book is queued or in flight. */
  indexPending: boolean;
  /** File requests of this book queued or in flight. */
  fileSteps: number;
  result: FetchedBook | FanoutError | null;
}

type Step =
  | { kind: 'file'; book: Book; cand: Candidate; url: URL; hops: number; round: number; sink: BookSink | null }
  | { kind: 'index'; book: Book; url: URL; hops: number };

interface Sent {
  step: Step;
  response: Promise<Dispatcher.ResponseData>;
}

/** The connection failed under a request: ends the batch. */
class ConnectionLost extends Error {
  constructor(
    readonly reason: unknown,
    readonly context: ErrorContext,
  ) {
    super('connection lost');
  }
}

/**
 * One pipelined pass over a batch of books on a session's connection (HTTP/1.1 pipelining through
 * undici, `blocking: false`): up to `depth` GETs are on the wire at once and their responses are
 * read in order, each body streamed into its book's `.part` (undici pauses the socket while the
 * disk catches up: memory stays bounded whatever the batch size).
 *
 * Per book, as in the one-book path: `GET N-0.txt` (with `Range`/`If-Range` when a `.part` is
 * kept); on 404 the folder index, then the best file it lists, then `cache/epub`. Follow-up requests
 * jump the queue (a book in progress finishes before new ones start) and ride the same pipeline,
 * so a miss costs no round trip of its own while other requests are in flight. With
 * `speculateIndex`, the index request goes out right behind `N-0.txt`.
 *
 * A status (404, 503, a resume refused) concerns its book only. A connection failure ends the
 * batch: the connection is destroyed (undici would otherwise resend the rest on a new one, hiding a
 * failing server from the pool's backoff), and every unfinished book gets a retryable error.
 */
export class HttpRun {
  /** True once any response arrived (a failure before that concerns the whole batch). */
  gotResponse = false;
  private readonly books: Book[];
  private readonly queue: Step[] = [];
  private readonly sent: Sent[] = [];
  private readonly sinks = new Set<BookSink>();
  /** The connection (Client) of each origin this run uses: a run never moves to a new one. */
  private readonly pinned = new Map<string, Client>();
  private delivered: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: HttpRunHost,
    ebooks: number[],
    private readonly opts: HttpRunOptions,
  ) {
    this.books = ebooks.map((ebook) => {
      const all = candidates(ebook, 'http');
      return {
        ebook,
        label: String(ebook),
        context: { host: host.host, ebook, path: `/${bookDir(ebook)}/` },
        all,
        tried: new Set<Candidate>(),
        rest: null,
        indexPending: false,
        fileSteps: 0,
        result: null,
      };
    });
  }

  /** Per-book results in order; rejects when cancelled, or when the connection failed before any response. */
  async execute(): Promise<Array<FetchedBook | FanoutError>> {
    const { ctx } = this.opts;
    const first = this.books[0]!;
    if (ctx.signal.aborted) throw abortedError(first.context);
    const onAbort = () => this.host.dropClients();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (const book of this.books) {
        this.queue.push(this.fileStep(book, book.all[0]!));
        if (this.opts.speculateIndex) this.queue.push(this.indexStep(book));
      }
      ctx.progress.setState('listing', first.label);
      try {
        await this.loop();
      } catch (e) {
        if (!(e instanceof ConnectionLost)) throw e;
        this.host.dropClients();
        if (ctx.signal.aborted) throw abortedError(e.context);
        const err = mapSocketError(e.reason, e.context);
        if (!this.gotResponse) throw err;
        for (const book of this.books) {
          if (book.result) continue;
          book.result =
            book.ebook === e.context.ebook
              ? err
              : new FanoutError('CONNECTION_RESET', `The connection was lost before ebook ${book.ebook} was fetched (${err.message})`, book.context, { cause: e.reason });
        }
      }
      await this.delivered;
      if (ctx.signal.aborted) throw abortedError(first.context);
      return this.books.map((b) => b.result ?? new FanoutError('INTERNAL', `ebook ${b.ebook} was left unfinished`, b.context));
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      await Promise.all([...this.sinks].map((s) => s.close()));
    }
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0 || this.sent.length > 0) {
      while (this.sent.length < this.host.depth && this.queue.length > 0) {
        const step = this.queue.shift()!;
        if (!(await this.send(step))) {
          this.queue.unshift(step); // the connection is gone: what is in flight will say why
          break;
        }
      }
      const head = this.sent.shift();
      if (head) await this.receive(head);
      else if (this.queue.length > 0) {
        const step = this.queue[0]!;
        throw new ConnectionLost(Object.assign(new Error(`The connection to ${this.host.host} closed`), { code: 'UND_ERR_SOCKET' }), step.kind === 'file' ? this.fileContext(step) : step.book.context);
      }
    }
  }

  /** This run's connection to `origin`, or null once it failed (the run does not open another). */
  private clientFor(origin: string): Client | null {
    const pinned = this.pinned.get(origin);
    if (pinned) return pinned.destroyed ? null : pinned;
    const client = this.host.client(origin);
    this.pinned.set(origin, client);
    return client;
  }

  private fileStep(book: Book, cand: Candidate): Step {
    book.tried.add(cand);
    book.fileSteps++;
    return { kind: 'file', book, cand, url: new URL(`${this.host.base}/${cand.relPath}`), hops: 0, round: 0, sink: null };
  }

  private indexStep(book: Book): Step {
    book.indexPending = true;
    return { kind: 'index', book, url: new URL(`${this.host.base}/${bookDir(book.ebook)}/`), hops: 0 };
  }

  /** Sends `step`'s request; false when the run's connection is gone (nothing sent). */
  private async send(step: Step): Promise<boolean> {
    const { book } = step;
    const client = this.clientFor(step.url.origin);
    if (!client) return false;
    let headers: Record<string, string> = {};
    if (step.kind === 'file') {
      if (!step.sink) {
        const { cand } = step;
        try {
          step.sink = await BookSink.open({ rawDir: this.opts.rawDir, remoteName: cand.remoteName, textName: cand.textName, fromZip: cand.fromZip, progress: this.opts.ctx.progress, context: this.fileContext(step) });
        } catch (e) {
          book.fileSteps--;
          this.fail(book, toFanoutError(e, this.fileContext(step)));
          return true;
        }
        this.sinks.add(step.sink);
      }
      headers = resumeHeaders(step.sink.startAt, step.sink.kept);
    }
    const response = client.request({
      path: step.url.pathname + step.url.search,
      method: 'GET',
      headers: { 'user-agent': 'fanout', ...headers },
      // GETs are idempotent and short: let them queue behind each other on the connection.
      blocking: false,
    });
    response.catch(() => {}); // awaited in order by receive(), or abandoned with the connection
    this.sent.push({ step, response });
    this.host.noteRequest(this.sent.length);
    return true;
  }

  private async receive({ step, response }: Sent): Promise<void> {
    let res: Dispatcher.ResponseData;
    try {
      res = await response;
    } catch (e) {
      throw new ConnectionLost(e, step.kind === 'file' ? this.fileContext(step) : step.book.context);
    }
    this.gotResponse = true;
    this.host.noteResponse();
    if (step.kind === 'index') await this.receiveIndex(step, res);
    else await this.receiveFile(step, res);
  }

  private async receiveFile(step: Extract<Step, { kind: 'file' }>, res: Dispatcher.ResponseData): Promise<void> {
    const { book, cand } = step;
    const sink = step.sink!;
    const context = this.fileContext(step);
    const status = res.statusCode;
    const headers = res.headers as IncomingHttpHeaders;
    book.fileSteps--;
    const drop = async () => {
      await this.drain(res, context);
      await this.closeSink(sink);
    };
    if (book.result) return drop();

    const location = headerOne(headers.location);
    if ([301, 302, 303, 307, 308].includes(status) && location) {
      await this.drain(res, context);
      const next = new URL(location, step.url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') return this.failWith(book, sink, new FanoutError('HTTP_PERMANENT', `Redirect to an unsupported URL: ${next.protocol}`, context));
      if (step.hops >= MAX_REDIRECTS) return this.failWith(book, sink, new FanoutError('HTTP_PERMANENT', `More than ${MAX_REDIRECTS} redirects`, context));
      book.fileSteps++;
      this.queue.unshift({ ...step, url: next, hops: step.hops + 1 });
      return;
    }
    if (status === 404 || status === 410) {
      await drop();
      this.nextCandidate(book);
      return;
    }
    const startAt = sink.startAt;
    const again = async (why: string) => {
      // The server would not resume: ask once more from the start (the part was discarded).
      if (step.round >= 1) return this.failWith(book, sink, new FanoutError('HTTP_PERMANENT', `The server would not resume nor restart the download (${why})`, context));
      book.fileSteps++;
      this.queue.unshift({ ...step, url: new URL(`${this.host.base}/${cand.relPath}`), hops: 0, round: step.round + 1 });
    };
    if (status === 416) {
      await this.drain(res, context);
      // `Content-Range: bytes */<size>`: the part is at least the whole (same) file.
      const total = Number(/^bytes \*\/(\d+)$/.exec(String(headerOne(headers['content-range']) ?? '').trim())?.[1] ?? NaN);
      const sameSize = sink.kept === null || sink.kept.size === null || sink.kept.size === total;
      if (startAt > 0 && total === startAt && sameSize) {
        sink.begin(); // the kept part is the whole file
        sink.input.end();
        await once(sink.input, 'finish');
        return this.complete(book, cand, sink, startAt, context);
      }
      await sink.discard();
      return again('416');
    }
    if (status < 200 || status >= 300) {
      await this.drain(res, context);
      return this.failWith(book, sink, httpStatusError(status, context));
    }
    if (startAt > 0 && (status !== 206 || partialMismatch(headers, startAt, sink.kept) !== null)) {
      // A 200 is the whole file (the If-Range validator no longer matched, or no Range support):
      // restart with it. Any other answer: forget the part and ask again.
      await sink.discard();
      if (status !== 200) {
        await this.drain(res, context);
        return again(`status ${status}`);
      }
    }
    const lengthHeader = headerOne(headers['content-length']);
    const length = lengthHeader !== undefined ? Number(lengthHeader) : null;
    const { progress } = this.opts.ctx;
    progress.setState('downloading', book.label);
    progress.setItemTotal(length);
    sink.begin(sink.startAt === 0 ? metaFromHeaders(headers, status === 200 ? length : null) : undefined);
    try {
      await pipeline(res.body, sink.input);
    } catch (e) {
      if (isConnectionError(e)) throw new ConnectionLost(e, context);
      return this.failWith(book, sink, mapSocketError(e, context));
    }
    if (length !== null && sink.received !== length) {
      return this.failWith(book, sink, new FanoutError('SIZE_MISMATCH', `Received ${sink.received} of ${length} bytes`, context));
    }
    await this.complete(book, cand, sink, sink.startAt, context);
  }

  private async receiveIndex(step: Extract<Step, { kind: 'index' }>, res: Dispatcher.ResponseData): Promise<void> {
    const { book } = step;
    const context = book.context;
    const status = res.statusCode;
    const location = headerOne((res.headers as IncomingHttpHeaders).location);
    if (book.result) {
      book.indexPending = false;
      return this.drain(res, context);
    }
    if ([301, 302, 303, 307, 308].includes(status) && location && step.hops < MAX_REDIRECTS) {
      await this.drain(res, context);
      const next = new URL(location, step.url);
      if (next.protocol === 'http:' || next.protocol === 'https:') {
        this.queue.unshift({ ...step, url: next, hops: step.hops + 1 });
        return;
      }
    }
    book.indexPending = false;
    let rest: Candidate[];
    if (status === 404 || status === 410) {
      await this.drain(res, context);
      rest = book.all.filter((c) => c.cache);
    } else if (status === 429 || status >= 500) {
      await this.drain(res, context);
      if (book.fileSteps === 0) this.fail(book, httpStatusError(status, context));
      return;
    } else if (status !== 200) {
      await this.drain(res, context);
      rest = book.all.filter((c) => !book.tried.has(c)); // no index: guess every form in turn
    } else {
      const names = await this.readIndex(res, context);
      rest = names === null ? book.all.filter((c) => !book.tried.has(c)) : book.all.filter((c) => !book.tried.has(c) && (c.cache || names.has(c.remoteName)));
    }
    book.rest = rest;
    if (book.fileSteps === 0) this.nextCandidate(book);
  }

  /** The next file to try once the current one is missing: the index first if it is not known yet. */
  private nextCandidate(book: Book): void {
    if (book.result) return;
    if (book.rest === null) {
      if (!book.indexPending) this.queue.unshift(this.indexStep(book));
      return;
    }
    const cand = book.rest.shift();
    if (!cand) {
      this.fail(book, new FanoutError('BOOK_NOT_FOUND', `No text file of ebook ${book.ebook} on ${this.host.host}`, book.context));
      return;
    }
    this.queue.unshift(this.fileStep(book, cand));
  }

  private async complete(book: Book, cand: Candidate, sink: BookSink, startAt: number, context: ErrorContext): Promise<void> {
    const transferred = sink.received;
    let r;
    try {
      r = await sink.finish();
    } catch (e) {
      return this.failWith(book, sink, toFanoutError(e, context));
    } finally {
      this.sinks.delete(sink);
    }
    const fetched: FetchedBook = toFetchedBook(book.ebook, `${this.host.base}/${cand.relPath}`, cand, r, transferred, startAt);
    book.result = fetched;
    const onFetched = this.opts.onFetched;
    if (onFetched) {
      this.delivered = this.delivered.then(() =>
        onFetched(fetched).catch((e: unknown) => {
          book.result = toFanoutError(e, book.context);
        }),
      );
    }
  }

  private fail(book: Book, err: FanoutError): void {
    if (!book.result) book.result = err;
  }

  private async failWith(book: Book, sink: BookSink, err: FanoutError): Promise<void> {
    this.fail(book, err);
    await this.closeSink(sink);
  }

  private async closeSink(sink: BookSink): Promise<void> {
    this.sinks.delete(sink);
    await sink.close();
  }

  /** Reads a body nobody needs so the connection stays usable (a large one is dropped with it). */
  private async drain(res: Dispatcher.ResponseData, context: ErrorContext): Promise<void> {
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_DRAIN_BYTES) {
          res.body.destroy();
          return;
        }
      }
    } catch (e) {
      throw new ConnectionLost(e, context);
    }
  }

  /** The names an HTML folder index links to; null when it is too large to be one. */
  private async readIndex(res: Dispatcher.ResponseData, context: ErrorContext): Promise<Set<string> | null> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_INDEX_BYTES) {
          res.body.destroy();
          return null;
        }
        chunks.push(chunk as Buffer);
      }
    } catch (e) {
      throw new ConnectionLost(e, context);
    }
    return new Set(parseHtmlIndex(Buffer.concat(chunks).toString('utf8')).filter((e) => !e.isDir).map((e) => e.name));
  }

  private fileContext(step: Extract<Step, { kind: 'file' }>): ErrorContext {
    return { ...step.book.context, path: new URL(`${this.host.base}/${step.cand.relPath}`).pathname };
  }
}

/** HTTP status → FanoutError: 429/5xx transient, 404/410 not found, other 4xx (and odd codes) permanent. */
export function httpStatusError(status: number, context: ErrorContext): FanoutError {
  const msg = `HTTP ${status}`;
  if (status === 429 || status >= 500) return new FanoutError('HTTP_TRANSIENT', msg, context);
  if (status === 404 || status === 410) return new FanoutError('HTTP_NOT_FOUND', msg, context);
  return new FanoutError('HTTP_PERMANENT', msg, context);
}

function headerOne(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}
