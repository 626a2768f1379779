import { FTPError, type Client, type FTPResponse } from 'basic-ftp';
import { FanoutError, abortedError, toFanoutError } from '../core/fanout-error';
import { mapFtpError } from './ftp-errors';
import { epsvPort } from './ftp-pipeline';
import type { ListingEntry } from './listing-parsers';
import { mdtmTime, saysNoSuchFile, statOutcome } from './ftp-replies';
import { markLockStep, type FtpHostState } from './ftp-host-state';
import { startProgressWatchdog } from './ftp-watchdog';
import { commandWrite } from './ftp-command-lines';
import type { Candidate } from './mirror-layout';
import type { FetchBooksOptions } from './types';
import { BookLandings, openBookSink, openGuesses } from './ftp-book-sinks';
import { chooseFile, lostConnectionError, metaOf, newBatchBook, readListing, redoneOutOfStep, sizeError, unfinished, type BatchBook } from './ftp-batch-book';
import { FALLBACK, type BatchResult, type FtpBatchOutcome, type FtpBatchTarget } from './ftp-batch-types';
import { BatchCommandQueue, TRANSFER_WINDOW } from './ftp-batch-queue';
import { drainPassive, receiveBookData, receiveKeptGuess } from './ftp-batch-data';
import { writePartMeta } from './part-meta';
import { safeJoin } from '../output/safe-path';
import type { BatchLogin } from './ftp-batch-login';
import { EAGER_META_BYTES } from './book-sink';

type TaskResolver = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/**
 * A batch of books pipelined on one logged-in FTP control connection (RFC 959: a server handles
 * commands in order, so they may be sent before the replies to earlier ones arrive):
 *
 * 1. `STAT <dir>` of every book in one write (up to STAT_WINDOW at once): all the listings come
 *    back on the control connection in one round trip.
 * 2. For each book whose listing names a file of under 2 MiB: `MDTM` + `EPSV` +
 *    `RETR <file>` in one write, up to TRANSFER_WINDOW books ahead (MDTM: the time to the second
 *    that a `.part.meta` records, so a cut part can be resumed; no round trip of its own). On each `229` the data
 *    connection is opened at once; the server, which waits for it after the RETR, then sends the
 *    file. The next book's commands are already queued at the server, so its `229` follows this
 *    book's `226` without a round trip in between.
 * 3. A book is done when its data connection delivered exactly the listed size: the `226` is not
 *    waited for (it is collected with the rest of the replies, `tail`, before the next command).
 *
 * A reply concerns one book: a 550, a refused REST, a short or cut data connection fail that book
 * (the `.part` is kept for a resume). A control connection that fails (closed, reset, a `421`, no
 * progress for `timeoutMs`) ends the batch: finished books stay done, the others get a retryable
 * error; before any reply, the batch rejects instead (nothing was done: see FtpSession.pipelined).
 * A batch never sends REST: a book with a kept `.part` that may be continued, and a book of 2 MiB or
 * more (its meta, written when it starts, records MDTM), go to the one-book path, which asks MDTM.
 * Books without a listed size (symlinks), and all books once STAT or EPSV prove unusable, are
 * handed back as FALLBACK for the one-book path (a symlinked `N-0.txt` guessed with the listing
 * first has its transfer kept as the `.part`, which that path lands if SIZE and MDTM say it is
 * whole: see keepGuess).
 */
export class FtpBatch {
  private readonly books: BatchBook[];
  /** The commands at the server and to send, in order (see ftp-batch-queue.ts). */
  private readonly commands: BatchCommandQueue;
  private readonly closing: Array<Promise<void>> = [];
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
  /** Books are completed (renamed, handed to onFetched) one after the other, in the order their data ended. */
  private readonly landings: BookLandings;
  private statWorks: boolean;
  private epsvWorks: boolean;
  private wentOutOfStep = false;
  /** This batch wrote the job's NOOP probe (see probe). */
  private sentProbe = false;
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
    /** A fresh session's login, written ahead of the first commands (see ftp-batch-login.ts). */
    private readonly login: BatchLogin | null = null,
  ) {
    if (/[\r\n\0]/.test(target.root)) throw new FanoutError('BAD_INPUT', 'The mirror path contains control characters', { host: target.host });
    this.statWorks = flags.statWorks;
    this.epsvWorks = flags.epsvWorks;
    this.books = ebooks.map((ebook) => newBatchBook(target.host, target.root, ebook));
    this.commands = new BatchCommandQueue(this.books);
    this.landings = new BookLandings(target.baseUrl, opts.onFetched, (book, result) => this.settle(book, result));
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
      this.watchdog = startProgressWatchdog(
        this.target.timeoutMs,
        () => {
          // A transfer held back by us (its data socket paused: the job's bandwidth cap, a slow disk)
          // is not the server's silence, as for the data connection's own stall rule.
          if (this.books.some((b) => b.phase === 'receiving' && b.data?.isPaused())) this.activity++;
          return this.activity + this.books.reduce((n, b) => n + (b.sink?.received ?? 0) + (b.guessState === 'kept' ? b.guess!.sink.received : 0), 0);
        },
        () => this.fail(Object.assign(new Error(`No reply from ${this.target.host} in ${this.target.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      );
      if (!this.login) ctx.progress.setState('listing', this.books[0]!.label);
      await this.openGuesses();
      if (ctx.signal.aborted) this.fail(abortedError(this.books[0]!.context));
      else this.pump();
      await this.settled;
      await this.landings.delivered;
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
      this.watchdog?.stop();
      await Promise.all(this.closing);
    }
  }

  /** The first books' `N-0.txt`, asked for right behind the STATs (see openGuesses in ftp-book-sinks.ts). */
  private async openGuesses(): Promise<void> {
    if (!this.statWorks || !this.epsvWorks) return;
    // Only as many as may be at the server at once (one unless it is known to take commands during a transfer).
    const window = this.host.transfers === 'pipelined' ? TRANSFER_WINDOW : 1;
    this.commands.addGuesses(await openGuesses(this.books.slice(0, window), this.opts));
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
    // The login's replies come first; its refusal ends the batch (the session reports a login error).
    const login = this.login?.done === false ? this.login.onReply(res) : null;
    if (login !== null) return login instanceof FTPError ? this.fail(login) : undefined;
    // 421: the server is closing the connection (RFC 959), e.g. its idle timeout raced our write.
    if (res instanceof FTPError && res.code === 421) return this.fail(res);
    this.gotReply = true;
    const matched = this.commands.match(res, this.target.root);
    if (matched.kind === 'outOfStep') return this.outOfStep(matched.what);
    const { sent } = matched;
    if (matched.kind === 'preliminary') {
      // The transfer at the head of the queue is starting.
      if (!sent.book.result && (!sent.guess || sent.book.guessState === 'confirmed')) {
        this.opts.ctx.progress.setState('downloading', sent.book.label);
        this.opts.ctx.progress.setItemTotal(sent.book.size - sent.book.startAt);
      }
      // (Not at a stray 150 after a cut transfer: see afterCut.)
      if (!sent.cut) this.probe();
      return;
    }
    const reply = res as FTPResponse | FTPError;
    if (sent.cmd === 'NOOP') {
      // The probe was answered in order, after the transfer's reply: commands may be queued ahead.
      // Answered after a cut transfer that got no reply, it proves nothing: the next batch probes again.
      if (sent.marker) {
        // (the NOOP written after a cut transfer: the connection is in step)
      } else if (sent.afterCut) {
        if (this.host.transfers === 'unknown') this.host.probing = false;
      } else if (this.host.transfers === 'unknown') this.host.transfers = 'pipelined';
    } else if (sent.cmd === 'STAT') this.onStat(sent.book, reply);
    else if (sent.cmd === 'EPSV') this.onEpsv(sent.book, reply, sent.guess === true);
    else if (sent.cmd === 'REST') this.onRest(sent.book, reply);
    else if (sent.cmd === 'MDTM') this.onMdtm(sent.book, reply, sent.guess === true);
    else this.onRetr(sent.book, reply, sent.guess === true);
    this.schedulePump();
  }

  private onStat(book: BatchBook, res: FTPResponse | FTPError): void {
    if (book.result) return;
    const outcome = statOutcome(res.code, res.message);
    if (outcome.kind === 'listing') return this.listed(book, outcome.entries);
    if (outcome.kind === 'missing') return this.listed(book, []); // no such folder
    if (outcome.kind === 'refused') return this.settle(book, mapFtpError(res, 'list', book.context));
    // 211 (server status: the path was ignored) or STAT unsupported: the one-book path lists instead.
    this.statWorks = false;
    this.settle(book, FALLBACK);
    for (const b of this.commands.dropStats()) this.settle(b, FALLBACK);
  }

  private listed(book: BatchBook, entries: ListingEntry[]): void {
    const { cand, size, modified, names } = readListing(book.ebook, entries);
    book.modified = modified;
    if (book.guessState === 'pending') {
      const guess = book.guess!;
      guess.present = names.has(guess.cand.remoteName);
      if (cand && size !== null && cand.remoteName === guess.cand.remoteName) {
        // The guessed transfer is the right one, already on its way.
        book.guessState = 'confirmed';
        chooseFile(book, this.target.root, cand, size);
        book.sink = guess.sink;
        book.phase = 'ready';
        return;
      }
      if (cand && size === null && cand.remoteName === guess.cand.remoteName) {
        // The guessed file, listed without a size (a symlink): its transfer, already asked for, is
        // kept as a `.part` for the one-book path (keepGuess); the book settles when it ended.
        book.guessState = 'kept';
        return;
      }
      this.wasteGuess(book);
    }
    if (!cand) return this.settle(book, new FanoutError('BOOK_NOT_FOUND', `No text file of ebook ${book.ebook} in ${book.remoteDir}`, book.context));
    // No size listed (a symlink): the one-book path asks SIZE, so the part and the end can be checked.
    // 2 MiB or more: its `.part.meta` is written when it starts, with the MDTM the one-book path asks
    // (a cut part can then be resumed; the listing's date, minute resolution, is not enough).
    if (size === null || size >= EAGER_META_BYTES) return this.settle(book, FALLBACK);
    chooseFile(book, this.target.root, cand, size);
    book.phase = 'opening';
    this.commands.addTransfer(book);
    this.opening++;
    void this.prepare(book, cand).finally(() => {
      this.opening--;
      this.schedulePump();
    });
  }

  /** Opens the book's sink (resume offset), then queues its transfer. */
  private async prepare(book: BatchBook, cand: Candidate): Promise<void> {
    try {
      const state = await openBookSink(book, cand, this.opts);
      if (state === 'givenUp') return this.closeSink(book);
      // A kept part to continue: MDTM first, on the one-book path (no REST is sent by a batch).
      if (state === 'resume') return this.settle(book, FALLBACK);
      if (state === 'whole') return this.landings.land(book);
      book.phase = 'ready';
    } catch (e) {
      this.settle(book, toFanoutError(e, book.context));
    }
  }

  private onEpsv(book: BatchBook, res: FTPResponse | FTPError, guess: boolean): void {
    const port = res instanceof FTPError ? null : epsvPort(res.message);
    if (guess && book.guessState === 'kept') {
      if (port === null) {
        this.epsvWorks = false;
        this.settle(book, FALLBACK);
      } else void this.keepGuess(book, port);
      return;
    }
    if (guess && book.guessState !== 'confirmed') {
      // A wasted guess: the RETR will get a 550, unless the file exists after all (listed without a
      // size, or not listed: STAT refused) or may (not known): then the server waits for the data
      // connection (vsftpd up to its accept_timeout, 60 s), whose data is read and dropped (not cut:
      // pure-ftpd answers a transfer it could not finish with no final reply).
      if (port === null) this.epsvWorks = false;
      else if (book.guess?.present !== false) {
        const stallMs = this.target.stallTimeoutMs ?? this.target.timeoutMs;
        void drainPassive(this.client, port, { host: this.target.host, timeoutMs: this.target.timeoutMs, stallMs }, book.context).then((end) => {
          if (end === 'cut') this.afterCut(book);
          else if (end !== 'whole') this.unopened(end.unopened);
        });
      }
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
    if (!book.result && book.sink) book.sink.begin(book.startAt === 0 ? metaOf(book) : undefined);
    void this.receiveData(book, port);
  }

  /**
   * A transfer's MDTM (a guess's answered after its STAT; every one before its EPSV, so before the
   * part's meta is made): the time its `.part.meta` records. Refused: the listing's date stays (such
   * a part is not resumed). A wasted guess's is not the book's file.
   */
  private onMdtm(book: BatchBook, res: FTPResponse | FTPError, guess: boolean): void {
    const time = res instanceof FTPError ? null : mdtmTime(res.message);
    if (guess && book.guess) book.guess.mdtm = time;
    if (time && (!guess || book.guessState === 'confirmed')) book.modified = time;
    // A guess not listed (STAT refused): its MDTM tells whether the file is there.
    if (guess && book.guess?.present === null) book.guess.present = time !== null ? true : res instanceof FTPError && saysNoSuchFile(res.message) ? false : null;
  }

  private onRest(book: BatchBook, res: FTPResponse | FTPError): void {
    const ok = !(res instanceof FTPError) && res.code === 350;
    book.settleRest?.(ok);
    // Whatever the RETR sends now starts at 0: it must not be appended to the part.
    if (!ok) this.settle(book, mapFtpError(res, 'transfer', book.context));
  }

  private onRetr(book: BatchBook, res: FTPResponse | FTPError, guess: boolean): void {
    if (guess && book.guessState === 'kept' && res instanceof FTPError) {
      // Refused (a dangling link: 550): no data will come on the connection we opened (or open).
      book.guess!.refused = true;
      book.guess!.data?.destroy();
    }
    if (guess && book.guessState !== 'confirmed') return;
    book.retr = res instanceof FTPError ? mapFtpError(res, 'transfer', book.context) : 'ok';
    if (book.result || book.phase === 'finishing') return;
    if (book.retr !== 'ok') return this.settle(book, book.retr);
    if (book.phase === 'received') this.settle(book, sizeError(book));
  }

  // ---- data ----

  private async receiveData(book: BatchBook, port: number): Promise<void> {
    const stallMs = this.target.stallTimeoutMs ?? this.target.timeoutMs;
    const end = await receiveBookData(this.client, book, port, { host: this.target.host, timeoutMs: this.target.timeoutMs, stallMs }, () => !book.result && !this.failure);
    if (end === 'received' && !book.result && book.sink!.received === book.size - book.startAt) return this.landings.land(book);
    if (typeof end === 'object' && 'unopened' in end) {
      this.settle(book, end.unopened);
      return this.unopened(end.unopened);
    }
    // The data did not all come (cut, reset, stalled, or closed unused by us): the book fails
    // (retryable, the part kept) with the final reply's words when it came (a 226 after a cut still
    // means the file is incomplete), else as short.
    if (end instanceof FanoutError) this.settle(book, end);
    else if (end === 'received') this.settle(book, book.retr !== null && book.retr !== 'ok' ? book.retr : sizeError(book));
    // Its RETR not answered yet: the answer may never come (see afterCut).
    this.afterCut(book);
  }

  /**
   * A symlinked `N-0.txt` guessed behind the book's STAT (listed without a size: `kept`): its data is
   * received into the guess's `.part` rather than read and dropped (it was then fetched again on the
   * one-book path: a 3 MB book cost 6 MB). Nothing here can tell the bytes whole: no size is known
   * (pure-ftpd's 150 gives none, or kbytes), and a `226` does not prove it (a middlebox cutting the
   * data with a FIN after the server wrote it all gets one from vsftpd), so nothing waits for the
   * final reply (pure-ftpd sends none after a cut transfer: ftp-symlink-cut.test.ts; a NOOP goes out
   * at the data's end, as after any cut, so its 200 stands for a reply that never comes). The part is
   * kept with a `.part.meta` recording the byte count as its size and the guess's own MDTM, and the
   * book goes to the one-book path (FALLBACK), which asks SIZE and MDTM as for any symlink: only when
   * SIZE is that byte count and MDTM that time is the kept part the whole file, landed with no
   * transfer (resume-check.ts; a cut part's count is not the size: restarted, as before). No MDTM
   * (refused), no byte, a refused RETR, a cut, or replies gone out of step: the part is removed.
   */
  private async keepGuess(book: BatchBook, port: number): Promise<void> {
    const guess = book.guess!;
    const stallMs = this.target.stallTimeoutMs ?? this.target.timeoutMs;
    let done!: () => void;
    this.closing.push(new Promise<void>((r) => (done = r)));
    try {
      guess.data = null;
      guess.sink.begin();
      const end = await receiveKeptGuess(this.client, guess.sink, port, { host: this.target.host, timeoutMs: this.target.timeoutMs, stallMs }, book.context, (sock) => {
        guess.data = sock;
        if (guess.refused) sock.destroy();
      });
      guess.data = null;
      // Its RETR not answered yet: the answer may never come, whether the data ended cut or with a
      // FIN (a middlebox's cut: pure-ftpd, still writing, then answers nothing). The NOOP's 200
      // then stands for both (see afterCut); a 226 that comes answers the RETR as ever.
      if (typeof end !== 'object') this.afterCut(book);
      await guess.sink.close();
      const keep = end === 'whole' && !book.result && !this.wentOutOfStep && !guess.refused && guess.mdtm && guess.sink.received > 0;
      if (keep) {
        await writePartMeta(safeJoin(this.opts.rawDir, `${guess.cand.textName}.part`, book.context), { size: guess.sink.received, modified: guess.mdtm! }).catch(() => guess.sink.discard());
      } else await guess.sink.discard();
      if (typeof end === 'object') {
        // (As for a drained guess: the book goes to the one-book path, on a new connection.)
        this.settle(book, FALLBACK);
        return this.unopened(end.unopened);
      }
      this.settle(book, FALLBACK);
    } catch (e) {
      await guess.sink.discard().catch(() => {});
      this.settle(book, toFanoutError(e, book.context));
    } finally {
      done();
    }
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
    const next = { pipelined: this.host.transfers === 'pipelined', statWorks: this.statWorks, epsvWorks: this.epsvWorks, root: this.target.root };
    const cmds = this.commands.next(next, (book) => this.settle(book, FALLBACK));
    const login = this.login?.take() ?? '';
    if (cmds.length > 0 || login) {
      this.client.ftp.log(`> ${login ? 'login | ' : ''}${cmds.map((c) => c.line).join(' | ')}`);
      let bytes: string;
      try {
        bytes = login + commandWrite(cmds);
      } catch (e) {
        // (Never expected: names come from the candidate table.) This batch fails, not the process.
        return this.fail(e instanceof Error ? e : new Error(String(e)));
      }
      this.client.ftp.socket.write(bytes, this.client.ftp.encoding);
    }
    this.checkDone();
  }

  /**
   * While the server is not yet known to read commands during a transfer in order, the first
   * transfer (at its 150) carries one `NOOP`: answered `200` after the transfer's `226`, the server
   * is shown to handle it; pure-ftpd answers it `500` ahead of the `226` (out of step: lock-step).
   */
  private probe(): void {
    if (this.host.transfers !== 'unknown' || this.host.probing || !this.commands.addProbe()) return;
    this.host.probing = true;
    this.sentProbe = true;
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
    for (const book of this.books) if (redoneOutOfStep(book)) this.settle(book, FALLBACK);
    this.fail(err);
  }

  /**
   * A transfer ended without all its data (cut, reset, stalled, or its data connection closed by
   * us; the book already has its error) before the reply to its RETR: that reply may never come.
   * pure-ftpd sends none after a transfer it could not finish (no 226, no 426/451: only a stray
   * `150 <seconds> (measured here), <rate>` line, or nothing when no byte went out; ftpd.c doretr),
   * and nothing queued behind it is answered meanwhile: the batch waited for its watchdog
   * (`timeoutMs`). So a `NOOP` goes out at once: vsftpd and ProFTPD answer the RETR (426) and then
   * the NOOP, in step; pure-ftpd answers only the NOOP, and its `200` (which answers nothing else)
   * stands for both (BatchCommandQueue.match). Anything else is out of step as ever (closed, redone,
   * lock-step: pure-ftpd still writing reads the NOOP during the transfer and answers `500`).
   */
  private afterCut(book: BatchBook): void {
    if (this.failure || !this.commands.markCut(book)) return;
    this.client.ftp.log('> NOOP (after a cut transfer)');
    this.client.ftp.socket.write('NOOP\r\n', this.client.ftp.encoding);
  }

  /**
   * A data connection we could not open (EMFILE at the open-files limit, refused, no connect in
   * time): the server, its RETR received, waits for it (vsftpd for its accept_timeout, 60 s; pure-ftpd
   * and ProFTPD longer) and answers nothing meanwhile, a NOOP included: the batch waited for its
   * watchdog (`timeoutMs`; 16 workers at `prlimit --nofile=64` took 30.6 s instead of 2-3 s). The
   * connection is closed at once (the batch ends as on a lost connection: what has all its bytes
   * stays done, the rest fails retryable, the book of that connection with its own error, e.g.
   * OUT_OF_RESOURCES); the session logs in again for its next call.
   */
  private unopened(err: FanoutError): void {
    this.client.ftp.log(`< the data connection could not be opened (${err.message}): closing`);
    this.fail(err);
  }

  // ---- outcome ----

  private settle(book: BatchBook, result: BatchResult): void {
    if (book.result) return;
    book.result = result;
    this.wasteGuess(book);
    // A kept guess never started: its sink closed. One under way is read to its end and removed
    // (keepGuess: the book has its result), as a wasted guess is drained: cut, pure-ftpd would send no
    // final reply for it; a closed control connection ends it at the server.
    if (book.guessState === 'kept' && book.guess!.data === undefined) this.closing.push(book.guess!.sink.close());
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
    const idle = this.commands.idle && this.opening === 0 && (this.login?.done ?? true);
    if (idle && this.task && !this.taskDone) {
      this.taskDone = true;
      this.task.resolve(undefined);
    }
    if (this.books.every((b) => b.result !== null)) {
      this.watchdog?.stop();
      this.allDone();
    }
  }

  /** The control connection is gone (or cancelled): what has all its bytes stays done, the rest fails. */
  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.watchdog?.stop();
    // The probe's answer is lost with the connection: the next batch probes again.
    if (this.sentProbe && this.host.transfers === 'unknown') this.host.probing = false;
    // Nothing done (not logged in, or a reused connection found dead): the batch rejects, before the
    // books settle (which would resolve it), so the session logs in again or reports the login's error.
    if (!this.gotReply) this.abandon(err);
    this.client.ftp.closeWithError(err);
    const active = this.commands.activeTransfer;
    for (const book of this.books) if (unfinished(book)) this.settle(book, lostConnectionError(book, err, book === active));
    if (!this.taskDone && this.task) {
      this.taskDone = true;
      this.task.reject(err);
    }
  }
}
