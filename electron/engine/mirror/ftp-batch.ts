import type net from 'node:net';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { FTPError, type Client, type FTPResponse } from 'basic-ftp';
import { FanoutError, abortedError, toFanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';
import { BookSink } from './book-sink';
import { mapFtpError } from './ftp-errors';
import { connectPassive, epsvPort } from './ftp-pipeline';
import type { ListingEntry } from './listing-parsers';
import { preliminaryFits, preliminaryNames, replyFits, statOutcome, type PipelinedCommand } from './ftp-replies';
import { markLockStep, type FtpHostState } from './ftp-host-state';
import { startProgressWatchdog } from './ftp-watchdog';
import { commandWrite, statCommand, transferCommands, type CommandLine } from './ftp-command-lines';
import { bookDir, candidates, chooseCandidate, type Candidate } from './mirror-layout';
import { ftpResumeMismatch } from './resume-check';
import type { FetchBooksOptions, FetchedBook } from './types';
import { toFetchedBook } from './fetched-book';

/**
 * `STAT`s outstanding at once. The listings come back on the control connection, and basic-ftp
 * closes a connection whose pending reply text passes 64 KiB: 32 book folders (a few hundred bytes
 * to ~2 KB each) stay well under it. A batch of 64 pays one more round trip for its second half,
 * hidden behind the first half's transfers.
 */
export const STAT_WINDOW = 32;

/**
 * Books whose `EPSV` + `RETR` are at the server at once. The server runs them one after the other
 * (one passive port at a time), so what matters is that the next pair is already queued when a
 * transfer ends: its `229` then follows the `226` with no gap. A pair's turn comes one round trip
 * after it is sent and each transfer takes about half a round trip (the data connection's setup)
 * plus its bytes, so 3 keep the queue fed; 4 leaves a margin.
 */
export const TRANSFER_WINDOW = 4;

export interface FtpBatchTarget {
  host: string;
  /** Mirror root path without trailing slash. */
  root: string;
  /** Base URL for `FetchedBook.url` (no trailing slash). */
  baseUrl: string;
  timeoutMs: number;
  /** A data connection that delivers nothing for this long is cut (default `timeoutMs`). */
  stallTimeoutMs?: number;
}

/** A book the batch leaves to the one-book path (no size listed, STAT or EPSV not usable). */
export const FALLBACK = 'fallback';
export type BatchResult = FetchedBook | FanoutError | typeof FALLBACK;

export interface FtpBatchOutcome {
  /** Per book, in the order given. */
  results: BatchResult[];
  /** Settles once the server answered every command sent (the last `226`s): collect before the next command. */
  tail: Promise<void>;
  /** The control connection failed (or was closed): drop it. */
  broken: boolean;
  /** False once the server answered STAT without a listing. */
  statWorks: boolean;
  /** False once the server refused EPSV. */
  epsvWorks: boolean;
  /** Replies went out of step: the books not done are FALLBACK, to go again (see outOfStep). */
  outOfStep: boolean;
}

/**
 * Where a book's transfer is, always forward (how the book ended is its `result`, which may come at
 * any phase): `listing` (its STAT is out) → `opening` (listed; its sink is being opened) → `ready`
 * (resume offset known: its EPSV + RETR may be sent, or are on their way) → `receiving` (its data
 * connection is open) → `received` (the data connection delivered all it had) → `finishing` (every
 * byte in: the `.part` is being completed). A confirmed guess goes from `listing` to `ready`; a kept
 * `.part` that is already the whole file from `opening` to `finishing`.
 */
type BookPhase = 'listing' | 'opening' | 'ready' | 'receiving' | 'received' | 'finishing';

interface BatchBook {
  phase: BookPhase;
  ebook: number;
  label: string;
  remoteDir: string;
  context: ErrorContext;
  cand: Candidate | null;
  /** Remote size from the listing. */
  size: number;
  /** Remote modification time from the listing (`list:<date>`), recorded with a new `.part`. */
  modified: string | null;
  /** What this attempt wrote cannot be trusted (replies went out of step): the `.part` is removed. */
  untrusted: boolean;
  remotePath: string;
  sink: BookSink | null;
  startAt: number;
  /** Settles with the verdict on `REST` (sent when resuming): data may be appended only after a 350. */
  restOk: Promise<boolean> | null;
  settleRest: ((ok: boolean) => void) | null;
  /** The data connection (from `receiving` on), to cut it when the book is given up. */
  data: net.Socket | null;
  /**
   * `EPSV` + `RETR N-0.txt` sent right behind the book's STAT, before the listing said the file
   * exists (see guess()): confirmed when it does, wasted (replies ignored) when it does not.
   */
  guess: { cand: Candidate; sink: BookSink; present: boolean } | null;
  guessState: 'none' | 'pending' | 'confirmed' | 'wasted';
  /** The final reply to RETR: 'ok' (226) or the error it mapped to. */
  retr: 'ok' | FanoutError | null;
  result: BatchResult | null;
}

type Sent = { cmd: PipelinedCommand; book: BatchBook; guess?: true };
type TaskResolver = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/**
 * A batch of books pipelined on one logged-in FTP control connection (RFC 959: a server handles
 * commands in order, so they may be sent before the replies to earlier ones arrive):
 *
 * 1. `STAT <dir>` of every book in one write (up to STAT_WINDOW at once): all the listings come
 *    back on the control connection in one round trip.
 * 2. For each book whose listing names a file: `EPSV` (+ `REST n` when a `.part` is resumed) +
 *    `RETR <file>` in one write, up to TRANSFER_WINDOW books ahead. On each `229` the data
 *    connection is opened at once; the server, which waits for it after the RETR, then sends the
 *    file. The next book's commands are already queued at the server, so its `229` follows this
 *    book's `226` without a round trip in between.
 * 3. A book is done when its data connection delivered exactly the listed size: the `226` is not
 *    waited for (it is collected with the rest of the replies, `tail`, before the next command).
 *
 * A reply concerns one book: a 550, a refused REST, a short or cut data connection fail that book
 * (the `.part` is kept for a resume). A control connection that fails (closed, reset, no progress
 * for `timeoutMs`) ends the batch: finished books stay done, the others get a retryable error.
 * Books without a listed size (symlinks), and all books once STAT or EPSV prove unusable, are
 * handed back as FALLBACK for the one-book path.
 */
export class FtpBatch {
  private readonly books: BatchBook[];
  private readonly statQueue: BatchBook[];
  /** Books whose guessed transfer is still to be sent (with the first write). */
  private readonly guessQueue: BatchBook[] = [];
  /** Listed books waiting for their transfer to be sent, in batch order (the front goes first once its sink is open). */
  private readonly queued: BatchBook[] = [];
  private readonly sent: Sent[] = [];
  private readonly closing: Array<Promise<void>> = [];
  private statsOut = 0;
  private transfersOut = 0;
  /** Sinks being opened (listing received, commands not sent yet). */
  private opening = 0;
  private gotReply = false;
  private failure: Error | null = null;
  private task: TaskResolver | null = null;
  private taskDone = false;
  private pumpQueued = false;
  /** Replies received: with the bytes received, what the watchdog watches. */
  private activity = 0;
  private watchdog: { stop(): void } | null = null;
  private delivered: Promise<void> = Promise.resolve();
  /** Books are completed (renamed, handed to onFetched) one after the other, in the order their data ended. */
  private finishChain: Promise<void> = Promise.resolve();
  private statWorks: boolean;
  private epsvWorks: boolean;
  private wentOutOfStep = false;
  private allDone!: () => void;
  private abandon!: (e: Error) => void;
  private readonly settled: Promise<void>;

  constructor(
    private readonly client: Client,
    private readonly target: FtpBatchTarget,
    ebooks: number[],
    private readonly opts: FetchBooksOptions,
    flags: { statWorks: boolean; epsvWorks: boolean },
    /** Shared by the job's sessions: may commands be written during a transfer here? */
    private readonly host: FtpHostState,
  ) {
    if (/[\r\n\0]/.test(target.root)) throw new FanoutError('BAD_INPUT', 'The mirror path contains control characters', { host: target.host });
    this.statWorks = flags.statWorks;
    this.epsvWorks = flags.epsvWorks;
    this.books = ebooks.map((ebook) => {
      const remoteDir = `${target.root}/${bookDir(ebook)}`;
      return {
        phase: 'listing' as const, ebook, label: String(ebook), remoteDir, context: { host: target.host, ebook, path: remoteDir },
        cand: null, size: 0, modified: null, untrusted: false, remotePath: '', sink: null, startAt: 0, restOk: null, settleRest: null,
        data: null, guess: null, guessState: 'none' as const, retr: null, result: null,
      };
    });
    this.statQueue = [...this.books];
    this.settled = new Promise<void>((resolve, reject) => {
      this.allDone = resolve;
      this.abandon = reject;
    });
    this.settled.catch(() => {});
  }

  /**
   * Runs the batch. Resolves once every book has its result (and `onFetched` ran for the ones that
   * landed); rejects when the control connection failed before any reply (nothing was done).
   */
  async run(): Promise<FtpBatchOutcome> {
    const { ctx } = this.opts;
    const onAbort = () => this.fail(abortedError(this.books[0]!.context));
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const tail = this.client.ftp.handle(undefined, (res, task) => this.onReply(res, task)).then(() => undefined);
    tail.catch(() => {});
    try {
      // Our watchdog replaces basic-ftp's control timeout, which would fire during long transfers.
      this.client.ftp.socket.setTimeout(0);
      this.startWatchdog();
      ctx.progress.setState('listing', this.books[0]!.label);
      await this.openGuesses();
      if (ctx.signal.aborted) this.fail(abortedError(this.books[0]!.context));
      else this.pump();
      await this.settled;
      await this.delivered;
      await Promise.all(this.closing);
      return {
        results: this.books.map((b) => b.result ?? new FanoutError('INTERNAL', `ebook ${b.ebook} was left unfinished`, b.context)),
        tail,
        broken: this.failure !== null,
        statWorks: this.statWorks,
        epsvWorks: this.epsvWorks,
        outOfStep: this.wentOutOfStep,
      };
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      this.stopWatchdog();
      await Promise.all(this.closing);
    }
  }

  /**
   * The listings take a round trip during which the connection would sit idle. So the first books'
   * best form, `N-0.txt` (the most common one), is asked for right behind the STATs: when the
   * listing confirms it, its data starts one round trip earlier; when it does not, the RETR gets a
   * 550 (or its data connection is closed at once) and the book goes the usual way, having cost
   * nothing more. Not for a book with a kept `.part`: its size must be checked before resuming.
   */
  private async openGuesses(): Promise<void> {
    if (!this.statWorks || !this.epsvWorks) return;
    // Only as many as may be at the server at once (one unless it is known to take commands during a transfer).
    const window = this.host.transfers === 'pipelined' ? TRANSFER_WINDOW : 1;
    await Promise.all(
      this.books.slice(0, window).map(async (book) => {
        const cand = candidates(book.ebook, 'ftp')[0]!;
        try {
          const sink = await BookSink.open({ rawDir: this.opts.rawDir, remoteName: cand.remoteName, textName: cand.textName, fromZip: cand.fromZip, progress: this.opts.ctx.progress, context: book.context });
          if (sink.startAt > 0 || sink.kept) {
            await sink.close();
            return;
          }
          book.guess = { cand, sink, present: false };
          book.guessState = 'pending';
        } catch {
          // The usual path opens the sink again and reports what is wrong.
        }
      }),
    );
    // In batch order (the sinks opened in any order).
    this.guessQueue.push(...this.books.filter((b) => b.guessState === 'pending'));
  }

  private wasteGuess(book: BatchBook): void {
    if (book.guessState !== 'pending') return;
    book.guessState = 'wasted';
    this.closing.push(book.guess!.sink.close());
  }

  // ---- replies ----

  private onReply(res: FTPResponse | Error, task: TaskResolver): void {
    this.task = task;
    if (this.failure) return;
    if (res instanceof Error && !(res instanceof FTPError)) {
      this.fail(res);
      return;
    }
    this.activity++;
    this.gotReply = true;
    if (res.code < 200) {
      // Preliminary (150): the transfer at the head of the queue is starting.
      const head = this.sent[0];
      if (!preliminaryFits(head?.cmd, res.code)) return this.outOfStep(`${res.code} while waiting for the reply to ${head?.cmd ?? 'nothing'}`);
      // A 150 that names another file (or size) than the book's: matched to the wrong book.
      const book = head!.book;
      const guessed = head!.guess === true && book.guessState !== 'confirmed';
      const path = guessed ? `${this.target.root}/${book.guess!.cand.relPath}` : book.remotePath;
      if (path && !preliminaryNames(res.message, path, guessed || book.startAt > 0 ? null : book.size)) return this.outOfStep(`RETR ${path} answered with ${res.message.split('\n')[0]!.slice(0, 80)}`);
      if (!head!.book.result && (!head!.guess || head!.book.guessState === 'confirmed')) {
        this.opts.ctx.progress.setState('downloading', head!.book.label);
        this.opts.ctx.progress.setItemTotal(head!.book.size - head!.book.startAt);
      }
      this.probe();
      return;
    }
    const sent = this.sent.shift();
    if (!sent) return this.outOfStep(`an unexpected reply: ${res.message.slice(0, 80)}`);
    // Every reply must be one its command can get: otherwise replies and commands are out of step.
    if (!replyFits(sent.cmd, res.code)) return this.outOfStep(`${sent.cmd} answered with ${res.message.split('\n')[0]!.slice(0, 80)}`);
    const reply = res as FTPResponse | FTPError;
    if (sent.cmd === 'NOOP') {
      // The probe was answered in order, after the transfer's reply: commands may be queued ahead.
      if (this.host.transfers === 'unknown') this.host.transfers = 'pipelined';
    } else if (sent.cmd === 'STAT') this.onStat(sent.book, reply);
    else if (sent.cmd === 'EPSV') this.onEpsv(sent.book, reply, sent.guess === true);
    else if (sent.cmd === 'REST') this.onRest(sent.book, reply);
    else this.onRetr(sent.book, reply, sent.guess === true);
    this.schedulePump();
  }

  private onStat(book: BatchBook, res: FTPResponse | FTPError): void {
    this.statsOut--;
    if (book.result) return;
    const outcome = statOutcome(res.code, res.message);
    if (outcome.kind === 'listing') return this.listed(book, outcome.entries);
    if (outcome.kind === 'missing') return this.listed(book, []); // no such folder
    if (outcome.kind === 'refused') return this.settle(book, mapFtpError(res, 'list', book.context));
    // 211 (server status: the path was ignored) or STAT unsupported: the one-book path lists instead.
    this.statWorks = false;
    this.settle(book, FALLBACK);
    for (const b of this.statQueue.splice(0)) this.settle(b, FALLBACK);
  }

  private listed(book: BatchBook, entries: ListingEntry[]): void {
    const sizes = new Map(entries.filter((e) => !e.isDir).map((e) => [e.name, e.size] as const));
    const cand = chooseCandidate(book.ebook, sizes.keys(), 'ftp');
    const size = cand ? (sizes.get(cand.remoteName) ?? null) : null;
    const date = cand ? entries.find((e) => e.name === cand.remoteName)?.modified : undefined;
    book.modified = date ? `list:${date}` : null;
    if (book.guessState === 'pending') {
      const guess = book.guess!;
      guess.present = sizes.has(guess.cand.remoteName);
      if (cand && size !== null && cand.remoteName === guess.cand.remoteName) {
        // The guessed transfer is the right one, already on its way.
        book.guessState = 'confirmed';
        book.cand = cand;
        book.size = size;
        book.remotePath = `${this.target.root}/${cand.relPath}`;
        book.context = { ...book.context, path: book.remotePath };
        book.sink = guess.sink;
        book.phase = 'ready';
        return;
      }
      this.wasteGuess(book);
    }
    if (!cand) return this.settle(book, new FanoutError('BOOK_NOT_FOUND', `No text file of ebook ${book.ebook} in ${book.remoteDir}`, book.context));
    // No size listed (a symlink): the one-book path asks SIZE, so the part and the end can be checked.
    if (size === null) return this.settle(book, FALLBACK);
    book.cand = cand;
    book.size = size;
    book.remotePath = `${this.target.root}/${cand.relPath}`;
    book.context = { ...book.context, path: book.remotePath };
    book.phase = 'opening';
    this.queued.push(book);
    this.opening++;
    void this.prepare(book, cand).finally(() => {
      this.opening--;
      this.schedulePump();
    });
  }

  /** Opens the book's sink (resume offset), then queues its transfer. */
  private async prepare(book: BatchBook, cand: Candidate): Promise<void> {
    try {
      const sink = await BookSink.open({ rawDir: this.opts.rawDir, remoteName: cand.remoteName, textName: cand.textName, fromZip: cand.fromZip, progress: this.opts.ctx.progress, context: book.context });
      book.sink = sink;
      if (book.result) return this.closeSink(book);
      // Only continue a part of the same remote file (a changed size means a changed file).
      if (sink.startAt > 0 && ftpResumeMismatch(sink.startAt, sink.kept, book.size, book.modified) !== null) await sink.discard();
      if (book.result) return this.closeSink(book);
      book.startAt = sink.startAt;
      if (book.startAt === book.size) {
        sink.begin(book.startAt === 0 ? this.metaOf(book) : undefined);
        sink.input.end(); // the kept part is the whole file (or the file is empty)
        await once(sink.input, 'finish');
        return this.finish(book);
      }
      book.phase = 'ready';
    } catch (e) {
      this.settle(book, toFanoutError(e, book.context));
    }
  }

  private onEpsv(book: BatchBook, res: FTPResponse | FTPError, guess: boolean): void {
    const port = res instanceof FTPError ? null : epsvPort(res.message);
    if (guess && book.guessState !== 'confirmed') {
      // A wasted guess: the RETR will get a 550, unless the file exists after all (listed without a
      // size): then the server waits for the data connection, which is closed at once.
      if (port === null) this.epsvWorks = false;
      else if (book.guess?.present) void this.discardData(port);
      return;
    }
    if (port === null) {
      // No extended passive mode here: this book and the rest go through basic-ftp one by one.
      this.epsvWorks = false;
      book.settleRest?.(false);
      this.settle(book, FALLBACK);
      return;
    }
    // The server now waits for our data connection before running RETR: always connect, even for a
    // book given up meanwhile (a connection we close at once costs the server nothing to wait for).
    if (!book.result && book.sink) book.sink.begin(book.startAt === 0 ? this.metaOf(book) : undefined);
    void this.receiveData(book, port);
  }

  private onRest(book: BatchBook, res: FTPResponse | FTPError): void {
    const ok = !(res instanceof FTPError) && res.code === 350;
    book.settleRest?.(ok);
    // Whatever the RETR sends now starts at 0: it must not be appended to the part.
    if (!ok) this.settle(book, mapFtpError(res, 'transfer', book.context));
  }

  private onRetr(book: BatchBook, res: FTPResponse | FTPError, guess: boolean): void {
    this.transfersOut--;
    if (guess && book.guessState !== 'confirmed') return;
    book.retr = res instanceof FTPError ? mapFtpError(res, 'transfer', book.context) : 'ok';
    if (book.result || book.phase === 'finishing') return;
    if (book.retr !== 'ok') return this.settle(book, book.retr);
    if (book.phase === 'received') this.settle(book, this.shortError(book));
  }

  // ---- data ----

  /** Connects to a passive port only to close it: the server stops waiting and fails the RETR (426). */
  private async discardData(port: number): Promise<void> {
    try {
      (await connectPassive(this.client, port, this.target.timeoutMs)).destroy();
    } catch {
      // nothing to close
    }
  }

  private async receiveData(book: BatchBook, port: number): Promise<void> {
    let sock: net.Socket;
    try {
      sock = await connectPassive(this.client, port, this.target.timeoutMs);
    } catch (e) {
      this.settle(book, mapFtpError(e, 'transfer', book.context));
      return;
    }
    sock.on('error', () => {}); // surfaces through the pipeline
    const wanted = book.restOk ? await book.restOk : true;
    if (!wanted || book.result || this.failure || !book.sink) {
      sock.destroy();
      return;
    }
    book.data = sock;
    book.phase = 'receiving';
    // A stall: nothing arrived for this long (the server or a middlebox stopped sending): cut, retried.
    const stallMs = this.target.stallTimeoutMs ?? this.target.timeoutMs;
    let stalled: Error | null = null;
    const onIdle = () => {
      // Paused by us (the job's bandwidth cap, a slow disk): not the server's stall; look again later.
      if (sock.isPaused()) return void sock.setTimeout(stallMs, onIdle);
      stalled = Object.assign(new Error(`The data connection to ${this.target.host} stalled: nothing received for ${stallMs} ms`), { code: 'ETIMEDOUT' });
      sock.destroy(stalled);
    };
    sock.setTimeout(stallMs, onIdle);
    try {
      await pipeline(sock, book.sink.input);
    } catch (e) {
      this.settle(book, mapFtpError(stalled ?? e, 'transfer', book.context));
      return;
    }
    book.phase = 'received';
    if (book.result) return;
    if (book.sink.received === book.size - book.startAt) return this.finish(book);
    // Short: the final reply says why (a 226 after a cut still means the file is incomplete).
    if (book.retr !== null) this.settle(book, book.retr === 'ok' ? this.shortError(book) : book.retr);
  }

  /** What a new `.part` records about its remote file (a resume checks both). */
  private metaOf(book: BatchBook): { size: number; modified?: string } {
    return book.modified ? { size: book.size, modified: book.modified } : { size: book.size };
  }

  private shortError(book: BatchBook): FanoutError {
    return new FanoutError('SIZE_MISMATCH', `Received ${book.sink?.received ?? 0} of ${book.size - book.startAt} bytes`, book.context);
  }

  private finish(book: BatchBook): Promise<void> {
    book.phase = 'finishing';
    this.finishChain = this.finishChain.then(() => this.finishBook(book));
    return this.finishChain;
  }

  private async finishBook(book: BatchBook): Promise<void> {
    const sink = book.sink!;
    const cand = book.cand!;
    const transferred = sink.received;
    let fetched: FetchedBook;
    try {
      const r = await sink.finish();
      fetched = toFetchedBook(book.ebook, `${this.target.baseUrl}${book.remotePath}`, cand, r, transferred, book.startAt);
    } catch (e) {
      this.settle(book, toFanoutError(e, book.context));
      return;
    }
    const onFetched = this.opts.onFetched;
    this.delivered = this.delivered.then(() =>
      onFetched(fetched).catch((e: unknown) => {
        book.result = toFanoutError(e, book.context);
      }),
    );
    this.settle(book, fetched);
  }

  // ---- sending ----

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    // After every reply of the chunk being parsed: one write for all the commands they allow.
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.failure) return;
    // Unless the server has shown it reads commands during a transfer in order, nothing is written
    // while one runs: commands go out only when the server is idle, at most one transfer, last.
    const pipelined = this.host.transfers === 'pipelined';
    // The probe's answer decides how the next commands go: wait for it (it follows the 226 at once).
    if (!pipelined && (this.transfersOut > 0 || this.sent.some((x) => x.cmd === 'NOOP'))) return this.checkDone();
    const window = pipelined ? TRANSFER_WINDOW : 1;
    const cmds: CommandLine[] = [];
    if (!pipelined) this.pushStats(cmds);
    // In batch order, so books land in the order given (a later book never overtakes one whose sink is still opening).
    while (this.transfersOut < window && this.queued.length > 0) {
      const book = this.queued[0]!;
      if (book.result) {
        this.queued.shift();
        continue;
      }
      if (book.phase !== 'ready') break; // its sink is still opening: later books wait (batch order)
      this.queued.shift();
      if (!this.epsvWorks) {
        this.settle(book, FALLBACK);
        continue;
      }
      if (book.startAt > 0) book.restOk = new Promise<boolean>((resolve) => (book.settleRest = resolve));
      for (const c of transferCommands(book.remotePath, book.startAt)) {
        cmds.push(c);
        this.sent.push({ cmd: c.cmd, book });
      }
      this.transfersOut++;
    }
    if (pipelined) this.pushStats(cmds);
    // The first write: the first books' `N-0.txt`, right behind their STATs (see openGuesses).
    while (this.transfersOut < window && this.guessQueue.length > 0) {
      const book = this.guessQueue.shift()!;
      if (book.result || book.guessState !== 'pending') continue;
      for (const c of transferCommands(`${this.target.root}/${book.guess!.cand.relPath}`, 0)) {
        cmds.push(c);
        this.sent.push({ cmd: c.cmd, book, guess: true });
      }
      this.transfersOut++;
    }
    if (cmds.length > 0) {
      this.client.ftp.log(`> ${cmds.map((c) => c.line).join(' | ')}`);
      let bytes: string;
      try {
        bytes = commandWrite(cmds);
      } catch (e) {
        // (Never expected: names come from the candidate table.) This batch fails, not the process.
        return this.fail(e instanceof Error ? e : new Error(String(e)));
      }
      this.client.ftp.socket.write(bytes, this.client.ftp.encoding);
    }
    this.checkDone();
  }

  private pushStats(cmds: CommandLine[]): void {
    while (this.statWorks && this.statsOut < STAT_WINDOW && this.statQueue.length > 0) {
      const book = this.statQueue.shift()!;
      cmds.push(statCommand(book.remoteDir));
      this.sent.push({ cmd: 'STAT', book });
      this.statsOut++;
    }
  }

  /**
   * While the server is not yet known to read commands during a transfer in order, the first
   * transfer (at its 150) carries one `NOOP`: answered `200` after the transfer's `226`, the server
   * is shown to handle it; pure-ftpd answers it `500` ahead of the `226` (out of step: lock-step).
   */
  private probe(): void {
    if (this.host.transfers !== 'unknown' || this.host.probing || this.sent[0]?.cmd !== 'RETR') return;
    this.host.probing = true;
    this.sent.push({ cmd: 'NOOP', book: this.sent[0].book });
    this.client.ftp.log('> NOOP (probe)');
    this.client.ftp.socket.write('NOOP\r\n', this.client.ftp.encoding);
  }

  /**
   * A reply that does not fit the command it is matched to: the replies can no longer be trusted to
   * belong to the books they seem to. Pipelining ends on this connection at once (it is closed) and
   * on this server for the rest of the job; what the transfers in flight wrote is removed; the books
   * not done go back to the session, which does them lock-step on a new connection.
   */
  private outOfStep(what: string): void {
    if (this.failure) return;
    markLockStep(this.host, this.target.host, `replies out of step: ${what}`);
    this.wentOutOfStep = true;
    const err = new Error(`FTP replies out of step with ${this.target.host} (${what}): going on one command at a time`);
    for (const book of this.books) {
      if (book.result || book.phase === 'finishing') continue;
      if (book.phase === 'received' && book.sink!.received === book.size - book.startAt) continue;
      if (book.phase === 'receiving' || book.phase === 'received') book.untrusted = true;
      this.settle(book, FALLBACK);
    }
    this.fail(err);
  }

  // ---- outcome ----

  private settle(book: BatchBook, result: BatchResult): void {
    if (book.result) return;
    book.result = result;
    this.wasteGuess(book);
    if (result instanceof FanoutError || result === FALLBACK) {
      book.settleRest?.(false);
      book.data?.destroy();
      this.closeSink(book);
    }
    this.checkDone();
  }

  private closeSink(book: BatchBook): void {
    const sink = book.sink;
    if (!sink) return;
    this.closing.push(book.untrusted ? sink.close().then(() => sink.discard()) : sink.close());
  }

  private checkDone(): void {
    const idle = this.sent.length === 0 && this.statQueue.length === 0 && this.opening === 0 && this.queued.every((b) => b.result !== null);
    if (idle && this.task && !this.taskDone) {
      this.taskDone = true;
      this.task.resolve(undefined);
    }
    if (this.books.every((b) => b.result !== null)) {
      this.stopWatchdog();
      this.allDone();
    }
  }

  /** The control connection is gone (or cancelled): what has all its bytes stays done, the rest fails. */
  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.stopWatchdog();
    this.client.ftp.closeWithError(err);
    const aborted = err instanceof FanoutError && err.code === 'ABORTED';
    const active = this.sent.find((s) => s.cmd === 'RETR')?.book;
    for (const book of this.books) {
      if (book.result || book.phase === 'finishing') continue;
      // Every byte arrived (the sink may still be flushing): it completes on its own.
      if ((book.phase === 'receiving' || book.phase === 'received') && book.sink!.received === book.size - book.startAt) continue;
      const mapped = aborted ? abortedError(book.context) : mapFtpError(err, 'transfer', book.context);
      this.settle(
        book,
        aborted || book === active || !mapped.retryable
          ? mapped
          : new FanoutError('CONNECTION_RESET', `The connection was lost before ebook ${book.ebook} was fetched (${mapped.message})`, book.context, { cause: err }),
      );
    }
    if (!this.taskDone && this.task) {
      this.taskDone = true;
      this.task.reject(err);
    }
    if (!this.gotReply) this.abandon(err);
  }

  private startWatchdog(): void {
    this.watchdog = startProgressWatchdog(
      this.target.timeoutMs,
      () => {
        // A transfer held back by us (its data socket paused: the job's bandwidth cap, a slow disk)
        // is not the server's silence, as for the data connection's own stall rule.
        if (this.books.some((b) => b.phase === 'receiving' && b.data?.isPaused())) this.activity++;
        return this.activity + this.books.reduce((n, b) => n + (b.sink?.received ?? 0), 0);
      },
      () => this.fail(Object.assign(new Error(`No reply from ${this.target.host} in ${this.target.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
  }

  private stopWatchdog(): void {
    this.watchdog?.stop();
    this.watchdog = null;
  }
}
