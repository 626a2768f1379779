import { once } from 'node:events';
import { pipeline, type Readable } from 'node:stream';
import type { Client } from 'undici';
import { FanoutError, abortedError, sizeMismatch, toFanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';
import { BookSink } from './book-sink';
import { classifyFileResponse, httpStatusError, MAX_REDIRECTS, one } from './http-file-response';
import { contentCodingOf, decodeAll, decoderFor, isDecodeError, type ContentCoding } from './content-coding';
import { pumpBody, readBounded, sendRequest, type HttpResponse } from './http-response';
import { isParserError } from '../net/not-the-protocol';
import { ConnectionLost, connectionError, receivedHook, type Book, type HttpRunHost, type HttpRunOptions, type Sent, type Step } from './http-run-types';
import { parseFolderIndex } from './listing-parsers';
import { bookDir, candidates, type Candidate } from './mirror-layout';
import { isConnectionError, mapSocketError } from './net-errors';
import { httpResumeMismatch, metaFromHeaders, resumeHeaders } from './resume-check';
import type { FetchedBook, HeldBook } from './types';
import { stoppedByCancel, toFetchedBook, toHeldBook } from './fetched-book';

export { httpStatusError } from './http-file-response';
export type { HttpRunHost, HttpRunOptions } from './http-run-types';

const MAX_INDEX_BYTES = 4 * 1024 * 1024;
/** Bytes of an unwanted body (a 404 page, an index not needed) read to keep the connection; past this it is dropped. */
const MAX_DRAIN_BYTES = 1024 * 1024;
/**
 * Books of one run being made durable (fsync, rename, the folder's fsync) while the next response is
 * read. Past this the run waits for one to land: the disk's backlog, and the descriptors held open, stay bounded.
 */
const MAX_LANDING = 4;

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
  /** `complete()`s still running (see MAX_LANDING). */
  private readonly landing = new Set<Promise<void>>();
  /** The connection (Client) of each origin this run uses: a run never moves to a new one. */
  private readonly pinned = new Map<string, Client>();
  private delivered: Promise<void> = Promise.resolve();
  /**
   * The books' first requests (each book's first file, and its index when asked for at once) not
   * answered yet. Once none is left, what the run still waits for are follow-ups (a miss's index and
   * file): the connection would idle through their round trips, so the worker is told it may start
   * its next batch (`WorkerContext.received`; see `answered`).
   */
  private readonly firsts = new Set<Step>();
  /** `received` was said (once per run). */
  private told = false;

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
        // The folder under the mirror URL's own path (as fileContext's paths): a wrong root shows in it.
        context: { host: host.host, ebook, path: new URL(`${host.base}/${bookDir(ebook)}/`).pathname },
        all,
        tried: new Set<Candidate>(),
        rest: null,
        indexPending: false,
        fileSteps: 0,
        landing: false,
        result: null,
      };
    });
  }

  /**
   * Per-book results in order; rejects when the connection failed before any response, or when
   * cancelled before every book had its result (a book landed as the cancel came is handed back).
   */
  async execute(): Promise<Array<FetchedBook | HeldBook | FanoutError>> {
    const { ctx } = this.opts;
    const first = this.books[0]!;
    if (ctx.signal.aborted) throw abortedError(first.context);
    const onAbort = () => this.host.dropClients();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (const book of this.books) {
        const file = this.fileStep(book, book.all[0]!);
        this.firsts.add(file);
        this.queue.push(file);
        if (this.opts.speculateIndex) {
          const index = this.indexStep(book);
          this.firsts.add(index);
          this.queue.push(index);
        }
      }
      ctx.progress.setState('listing', first.label);
      try {
        await this.loop();
        await this.landed();
      } catch (e) {
        if (!(e instanceof ConnectionLost)) throw e;
        this.host.dropClients();
        await this.landed(); // a book whose bytes all arrived still lands
        // Cancelled: the check below says whether any book was stopped by it.
        if (!ctx.signal.aborted) {
          const err = connectionError(e.reason, e.context);
          if (!this.gotResponse) throw err;
          for (const book of this.books) {
            if (book.result) continue;
            book.result =
              book.ebook === e.context.ebook
                ? err
                : new FanoutError('CONNECTION_RESET', `The connection was lost before ebook ${book.ebook} was fetched (${err.message})`, book.context, { cause: e.reason });
          }
        }
      }
      await this.delivered;
      // A cancel that came as the last books landed stops nothing: they are handed back, not
      // dropped for the re-run to fetch again (their files are already in place).
      if (ctx.signal.aborted && this.stopped()) throw abortedError(first.context);
      return this.books.map((b) => b.result ?? new FanoutError('INTERNAL', `ebook ${b.ebook} was left unfinished`, b.context));
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      await this.landed(); // not closed under its fsync and rename
      await Promise.all([...this.sinks].map((s) => s.close()));
    }
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0 || this.sent.length > 0) {
      // The next steps' parts are opened first, then their requests go out together (one write
      // burst, not requests trickling out between the responses).
      const ready: Step[] = [];
      while (this.sent.length + ready.length < this.host.depth && this.queue.length > 0) {
        const step = this.queue.shift()!;
        // A speculative index not sent yet (one request at a time: keep-alive not known) whose book
        // has its file: not asked for.
        if (step.kind === 'index' && (step.book.result || step.book.landing)) {
          step.book.indexPending = false;
          this.answered(step);
          continue;
        }
        if (await this.prepare(step)) ready.push(step);
        else this.answered(step);
      }
      for (const [i, step] of ready.entries()) {
        if (!this.send(step)) {
          this.queue.unshift(...ready.slice(i)); // the connection is gone: what is in flight will say why
          break;
        }
      }
      const head = this.sent.shift();
      if (head) {
        // Its response comes next: once it was the last first request, the next batch may go out
        // behind what is still in flight (this response and the follow-ups queued so far).
        this.answered(head.step);
        await this.receive(head);
      }
      else if (this.queue.length > 0) {
        const step = this.queue[0]!;
        throw new ConnectionLost(Object.assign(new Error(`The connection to ${this.host.host} closed`), { code: 'UND_ERR_SOCKET' }), step.kind === 'file' ? this.fileContext(step) : step.book.context);
      }
    }
  }

  /**
   * A first request is answered (or dropped). When none is left, on a connection proven to keep
   * alive (pipelined), the worker may start its next batch now: its requests queue behind this
   * run's follow-ups instead of waiting for them (at most two batches of a worker at once: the pool's
   * rule). Not on a server that closes after each response (each request a connection of its own,
   * HTTP_PARALLEL_CLOSING per session); while keep-alive is not known yet (one request at a time), once an
   * answer proves it (`tellIfFree`).
   */
  private answered(step: Step): void {
    if (this.firsts.delete(step)) this.tellIfFree();
  }

  /**
   * Says `received` once no first request is left, as soon as the connection is known to pipeline:
   * a job's first book goes out alone, and keep-alive is learned from its response (then said).
   */
  private tellIfFree(): void {
    if (this.told || this.firsts.size > 0 || !this.opts.overlap || !this.host.pipelined) return;
    this.told = true;
    receivedHook(this.opts.ctx)?.();
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

  /** Opens a file step's part (a failure fails its book: false); true when the step can be sent. */
  private async prepare(step: Step): Promise<boolean> {
    if (step.kind !== 'file' || step.sink) return true;
    const { book, cand } = step;
    try {
      step.sink = await BookSink.open({ rawDir: this.opts.rawDir, rawParts: this.opts.rawParts, remoteName: cand.remoteName, textName: cand.textName, fromZip: cand.fromZip, progress: this.opts.ctx.progress, signal: this.opts.ctx.signal, context: this.fileContext(step), holdSmall: true, handOver: this.opts.deferRawLanding === true });
    } catch (e) {
      book.fileSteps--;
      this.fail(book, toFanoutError(e, this.fileContext(step)));
      return false;
    }
    this.sinks.add(step.sink);
    return true;
  }

  /** Sends `step`'s request; false when the run's connection is gone (nothing sent). */
  private send(step: Step): boolean {
    const oneShot = this.host.oneShot(step.url.origin);
    const client = oneShot ?? this.clientFor(step.url.origin);
    if (!client) return false;
    // A part nothing ties to the remote file is not resumed: the whole file is asked for, and the 200 replaces the part.
    const headers = step.kind === 'file' && step.sink && httpResumeMismatch(step.sink.kept) === null ? resumeHeaders(step.sink.startAt, step.sink.kept) : {};
    const response = sendRequest(client, {
      path: step.url.pathname + step.url.search,
      headers: { 'user-agent': 'fanout', ...headers },
      stall: this.host.stall,
      mayPause: (h) => this.host.mayPause(client, h),
    });
    response.catch(() => {}); // awaited in order by receive(), or abandoned with the connection
    // A connection for this request alone: closed once its body is read (or failed).
    if (oneShot) response.then((r) => r.body.once('close', () => void oneShot.close().catch(() => {})), () => void oneShot.destroy().catch(() => {}));
    this.sent.push({ step, response });
    this.host.noteRequest(this.sent.length);
    return true;
  }

  private async receive({ step, response }: Sent): Promise<void> {
    let res: HttpResponse;
    try {
      res = await response;
    } catch (e) {
      throw new ConnectionLost(e, step.kind === 'file' ? this.fileContext(step) : step.book.context);
    }
    this.gotResponse = true;
    this.host.noteResponse();
    // Keep-alive may be learned from this response (a job's first): the next batch may go now.
    this.tellIfFree();
    if (step.kind === 'index') await this.receiveIndex(step, res);
    else await this.receiveFile(step, res);
  }

  private async receiveFile(step: Extract<Step, { kind: 'file' }>, res: HttpResponse): Promise<void> {
    const { book, cand } = step;
    const sink = step.sink!;
    const context = this.fileContext(step);
    const headers = res.headers;
    book.fileSteps--;
    if (book.result || book.landing) {
      await this.discard(res, context);
      return this.closeSink(sink);
    }
    const action = classifyFileResponse({ status: res.statusCode, headers, url: step.url, hops: step.hops, startAt: sink.startAt, kept: sink.kept, round: step.round, context });
    if (action.kind !== 'body') await this.discard(res, context);
    switch (action.kind) {
      case 'redirect':
        book.fileSteps++;
        this.queue.unshift({ ...step, url: action.url, hops: step.hops + 1 });
        return;
      case 'missing':
        await this.closeSink(sink);
        return this.nextCandidate(book);
      case 'fail':
        return this.failWith(book, sink, action.error);
      case 'kept-whole':
        sink.begin(); // the kept part is the whole file
        sink.input.end();
        await once(sink.input, 'finish');
        return this.land(book, cand, sink, context);
      case 'restart':
        // The server would not resume: ask once more from the start (the part was discarded).
        await sink.discard();
        book.fileSteps++;
        this.queue.unshift({ ...step, url: new URL(`${this.host.base}/${cand.relPath}`), hops: 0, round: step.round + 1 });
        return;
      case 'body':
        break;
    }
    if (action.discardPart) await sink.discard();
    const { length, coding } = action;
    const { progress } = this.opts.ctx;
    progress.setState('downloading', book.label);
    // A compressed body: its length is not the file's, and its part records nothing to resume with
    // (a range would be of the compressed bytes): a cut one is fetched whole again.
    progress.setItemTotal(coding ? null : length);
    sink.begin(sink.startAt === 0 && !coding ? metaFromHeaders(headers, res.statusCode === 200 ? length : null) : undefined);
    try {
      await pumpBody(coding ? decoded(res.body, coding) : res.body, sink.input);
    } catch (e) {
      if (isConnectionError(e) || isParserError(e)) throw new ConnectionLost(e, context);
      if (coding && isDecodeError(e)) {
        return this.failWith(book, sink, new FanoutError('CONNECTION_RESET', `The ${coding}-compressed body could not be undone (${String((e as Error).message)}): cut or damaged`, context, { cause: e }));
      }
      return this.failWith(book, sink, mapSocketError(e, context));
    }
    if (length !== null && !coding && sink.received !== length) {
      return this.failWith(book, sink, sizeMismatch(sink.received, length, context));
    }
    await this.land(book, cand, sink, context);
  }

  /**
   * Makes a whole book durable (`complete`) while the run goes on with the next response: each
   * book's fsync and rename (a few ms, tens under load) no longer hold its connection, whose next
   * body would otherwise sit in undici's buffer with the socket paused. Waits only while
   * MAX_LANDING books of this run are landing; `execute` waits for all of them before it returns.
   */
  private async land(book: Book, cand: Candidate, sink: BookSink, context: ErrorContext): Promise<void> {
    while (this.landing.size >= MAX_LANDING) await Promise.race(this.landing);
    book.landing = true;
    const landing = this.complete(book, cand, sink, sink.startAt, context)
      .catch((e: unknown) => this.fail(book, toFanoutError(e, context)))
      .finally(() => {
        book.landing = false;
        this.landing.delete(landing);
      });
    this.landing.add(landing);
  }

  /** Waits for every book still landing. */
  private async landed(): Promise<void> {
    while (this.landing.size > 0) await Promise.all(this.landing);
  }

  private async receiveIndex(step: Extract<Step, { kind: 'index' }>, res: HttpResponse): Promise<void> {
    const { book } = step;
    const context = book.context;
    const status = res.statusCode;
    const location = one(res.headers.location);
    if (book.result || book.landing) {
      book.indexPending = false;
      return this.discard(res, context);
    }
    if ([301, 302, 303, 307, 308].includes(status) && location && step.hops < MAX_REDIRECTS) {
      await this.discard(res, context);
      const next = new URL(location, step.url);
      if (next.protocol === 'http:' || next.protocol === 'https:') {
        this.queue.unshift({ ...step, url: next, hops: step.hops + 1 });
        return;
      }
    }
    book.indexPending = false;
    let rest: Candidate[];
    if (status === 404 || status === 410) {
      await this.discard(res, context);
      rest = book.all.filter((c) => c.cache);
    } else if (status === 429 || status >= 500) {
      await this.discard(res, context);
      if (book.fileSteps === 0) this.fail(book, httpStatusError(status, context, res.headers));
      return;
    } else if (status !== 200) {
      await this.discard(res, context);
      rest = book.all.filter((c) => !book.tried.has(c)); // no index: guess every form in turn
    } else {
      const read = await this.read(res, MAX_INDEX_BYTES, true, context);
      // Compressed by the server unasked (Apache `force-gzip`): undone, else it reads as an empty index.
      const body = read === null ? null : indexText(read, one(res.headers['content-encoding']));
      // Too large to be a folder index, or compressed in a way that does not undo: no names, guess every form in turn.
      const names = body === null ? null : new Set(parseFolderIndex(body.toString('utf8')).filter((e) => !e.isDir).map((e) => e.name));
      rest = names === null ? book.all.filter((c) => !book.tried.has(c)) : book.all.filter((c) => !book.tried.has(c) && (c.cache || names.has(c.remoteName)));
    }
    book.rest = rest;
    if (book.fileSteps === 0) this.nextCandidate(book);
  }

  /** The next file to try once the current one is missing: the index first if it is not known yet. */
  private nextCandidate(book: Book): void {
    if (book.result || book.landing) return;
    if (book.rest === null) {
      if (!book.indexPending) this.queue.unshift(this.indexStep(book));
      return;
    }
    const cand = book.rest.shift();
    if (!cand) {
      this.fail(book, new FanoutError('BOOK_NOT_FOUND', `No text file of ebook ${book.ebook} in ${book.context.path} on ${this.host.host}`, book.context));
      return;
    }
    this.queue.unshift(this.fileStep(book, cand));
  }

  private async complete(book: Book, cand: Candidate, sink: BookSink, startAt: number, context: ErrorContext): Promise<void> {
    const transferred = sink.received;
    const url = `${this.host.base}/${cand.relPath}`;
    // A small text held whole goes to the caller as bytes, to be landed there (the job's scrub thread).
    const held = this.opts.deferRawLanding ? sink.takeHeld() : null;
    let fetched: FetchedBook | HeldBook;
    try {
      fetched = held ? toHeldBook(book.ebook, url, cand, held, transferred, startAt) : toFetchedBook(book.ebook, url, cand, await sink.finish(), transferred, startAt);
    } catch (e) {
      return this.failWith(book, sink, toFanoutError(e, context));
    } finally {
      this.sinks.delete(sink);
    }
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

  /** Some book of the run was stopped by a cancel: no result, or an error the cancel may have caused. */
  private stopped(): boolean {
    return this.books.some((b) => stoppedByCancel(b.result));
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
  private async discard(res: HttpResponse, context: ErrorContext): Promise<void> {
    await this.read(res, MAX_DRAIN_BYTES, false, context);
  }

  /** `readBounded`, a failure of the connection ending the batch. */
  private async read(res: HttpResponse, maxBytes: number, keep: boolean, context: ErrorContext): Promise<Buffer | null> {
    try {
      return await readBounded(res.body, maxBytes, keep);
    } catch (e) {
      throw new ConnectionLost(e, context);
    }
  }

  private fileContext(step: Extract<Step, { kind: 'file' }>): ErrorContext {
    return { ...step.book.context, path: new URL(`${this.host.base}/${step.cand.relPath}`).pathname };
  }
}

/** `body` decompressed (`Content-Encoding`); an error or destroy of either side ends both. */
function decoded(body: Readable, coding: ContentCoding): Readable {
  return pipeline(body, decoderFor(coding), () => {});
}

/** A folder index's bytes, its `Content-Encoding` undone (at most MAX_INDEX_BYTES of text); null when it does not undo. */
function indexText(body: Buffer, encoding: string | undefined): Buffer | null {
  const coding = contentCodingOf(encoding);
  if (coding === null) return body;
  return coding === undefined ? null : decodeAll(body, coding, MAX_INDEX_BYTES);
}
