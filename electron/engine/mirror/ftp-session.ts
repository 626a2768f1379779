import { once } from 'node:events';
import { posix } from 'node:path';
import { Client, FTPError, type FileInfo } from 'basic-ftp';
import { FanoutError, abortedError, toFanoutError } from '../core/fanout-error';
import { mapFtpError, type FtpPhase } from './ftp-errors';
import type { ErrorContext } from '../../../shared/errors';
import { BookSink, EAGER_META_BYTES } from './book-sink';
import { retrIntoSink } from './ftp-retr';
import { listFolder, remoteModified, remoteSize, type Listing } from './ftp-commands';
import { ftpResumeCandidate, ftpResumeMismatch } from './resume-check';
import { newFtpHostState, type FtpHostState } from './ftp-host-state';
import { assertEbook, bookDir, chooseCandidate } from './mirror-layout';
import type { FetchBookOptions, FetchBooksHandOverOptions, FetchBooksOptions, FetchedBook, FetchedFile, FetchFileOptions, MirrorSession } from './types';
import { fetchFtpFile } from './ftp-file';
import { listWhole } from './ftp-list';
import { ftpSinkOptions } from './ftp-book-sinks';
import { noProgress } from '../core/worker-context';
import { FtpBatch } from './ftp-batch';
import { FALLBACK, type BatchResult, type FtpBatchOutcome } from './ftp-batch-types';
import { stoppedByCancel, toFetchedBook } from './fetched-book';
import { connectFtp, controlIsPlain, loginError, loginFtp, type FtpLogin } from './ftp-login';
import { BatchLogin } from './ftp-batch-login';
import { loginCommands } from './ftp-commands';

export interface FtpTarget extends FtpLogin {
  /** Mirror root path without trailing slash ('' for the server root). */
  root: string;
  /** Base URL for `FetchedBook.url` (no trailing slash). */
  baseUrl: string;
  /** A data connection that delivers nothing for this long is cut (default `timeoutMs`). */
  stallTimeoutMs?: number;
}

/**
 * One worker's FTP session: one basic-ftp Client (one control connection), logged in once and
 * reused for every book. Plain FTP logs in in one round trip (OPTS, USER, PASS, TYPE I pipelined),
 * or none when the first call is a batch: the login goes in the batch's first write (ftp-batch-login.ts);
 * FTPS goes through basic-ftp's `access()`. Books go through the pipelined batch engine
 * (ftp-batch.ts), `fetchBook` as a batch of one: STAT + EPSV + RETR `N-0.txt` in one write, so a
 * book whose best form is `N-0.txt` costs the listing's round trip and the transfer, nothing more.
 * Books the engine cannot take (no size listed, e.g. a symlink; a server whose STAT gives no listing
 * or that refuses EPSV) go through fetchListed, one step at a time (STAT + EPSV pipelined, SIZE when
 * needed, LIST where STAT fails). A `.part` is resumed with REST only here (the batch hands such
 * books back), only when the remote file's size and its MDTM are the ones recorded when the part
 * started (see resume-check.ts). After a connection error, a timeout or a cancel, the client is
 * dropped and the next call logs in again. FTPS works the same way: the data connections are TLS and
 * resume the control's TLS session.
 *
 * The end of a transfer is taken from the data: once the data connection delivered exactly the
 * size the listing gave, the book is done and the `226` is collected later, before the next command
 * (a server slow to send it no longer costs a round trip per book).
 */
export class FtpSession implements MirrorSession {
  private client: Client | null = null;
  /** A transfer whose bytes all arrived but whose `226` we did not wait for. */
  private pendingReply: Promise<void> | null = null;
  /** False once the server answered STAT without a listing: use LIST instead. */
  private statWorks = true;
  /** Send `STAT` and `EPSV` back to back (off once the server rejects EPSV). */
  private pipelineEpsv = true;
  /** Logins done by this session (for tests and stats). */
  logins = 0;
  /** This session's client counts in `host.loggedIn`. */
  private counted = false;

  constructor(
    private readonly target: FtpTarget,
    readonly workerId: number,
    /** What the job's sessions know about the server (shared; see ftp-host-state.ts). */
    private readonly host: FtpHostState = newFtpHostState(),
  ) {}

  /**
   * Books go through the batch engine unless STAT or EPSV do not work here. On a lock-step server
   * the batch writes nothing while a transfer runs (see ftp-host-state.ts), which is safe anywhere.
   */
  private get batchable(): boolean {
    return this.statWorks && this.pipelineEpsv;
  }

  /**
   * One book: the batch engine with a batch of one (STAT + EPSV + RETR of `N-0.txt` in one write,
   * see ftp-batch.ts), falling back to fetchListed when the server needs it (no listed size, no
   * STAT listing, no EPSV).
   */
  async fetchBook(ebook: number, opts: FetchBookOptions): Promise<FetchedBook> {
    assertEbook(ebook);
    if (!this.batchable) return this.fetchListed(ebook, opts);
    const first: ErrorContext = { host: this.target.host, ebook, path: `${this.target.root}/${bookDir(ebook)}` };
    if (opts.ctx.signal.aborted) throw abortedError(first);
    const [r] = await this.pipelined([ebook], { ...opts, onFetched: async () => {} }, first, first);
    if (r === FALLBACK) return this.fetchListed(ebook, opts);
    if (r instanceof FanoutError) throw r;
    return r!;
  }

  /** One book, one step at a time: STAT (+ EPSV), SIZE when needed, RETR (LIST where STAT gives no listing). */
  private async fetchListed(ebook: number, opts: FetchBookOptions): Promise<FetchedBook> {
    assertEbook(ebook);
    const { ctx } = opts;
    const dir = bookDir(ebook);
    const remoteDir = `${this.target.root}/${dir}`;
    const context: ErrorContext = { host: this.target.host, ebook, path: remoteDir };
    if (ctx.signal.aborted) throw abortedError(context);
    const onAbort = () => this.drop();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let phase: FtpPhase = 'login';
    let sink: BookSink | null = null;
    try {
      const label = String(ebook);
      await this.settlePending();
      const reused = this.client !== null && !this.client.closed;
      let client = await this.connect(ctx.progress, label);

      phase = 'list';
      ctx.progress.setState('listing', label);
      let listing: Listing;
      try {
        listing = await this.listDir(client, remoteDir, context);
      } catch (e) {
        // A reused connection the server dropped while idle: log in again once, quietly. (Not for a
        // listing that came but cut short, a FanoutError: the connection is fine, the pool retries.)
        if (!reused || e instanceof FTPError || e instanceof FanoutError || ctx.signal.aborted) throw e;
        this.drop();
        phase = 'login';
        client = await this.connect(ctx.progress, label);
        phase = 'list';
        listing = await this.listDir(client, remoteDir, context);
      }
      const fileSizes = (l: Listing) => new Map(l.entries.filter((e) => !e.isDir).map((e) => [e.name, e.size] as const));
      let sizes = fileSizes(listing);
      let cand = chooseCandidate(ebook, sizes.keys(), 'ftp');
      if (!cand && listing.uncounted) {
        // A LIST that counts nothing (vsftpd, ProFTPD) cut at a line end by a middlebox after the
        // server wrote it whole looks whole (ftp-list.ts): before calling the book missing
        // (BOOK_NOT_FOUND, permanent), list once more; only two such listings make it missing.
        listing = await this.listDir(client, remoteDir, context);
        sizes = fileSizes(listing);
        cand = chooseCandidate(ebook, sizes.keys(), 'ftp');
      }
      if (!cand) throw new FanoutError('BOOK_NOT_FOUND', `No text file of ebook ${ebook} in ${remoteDir}`, context);
      const remotePath = `${this.target.root}/${cand.relPath}`;
      context.path = remotePath;
      let size = sizes.get(cand.remoteName) ?? null;
      // A symlink's listed date is the link's own, not its target's: MDTM asks for the target's.
      const listedDate = size === null ? undefined : listing.entries.find((e) => e.name === cand.remoteName)?.modified;
      let modified: string | null = listedDate ? `list:${listedDate}` : null;
      let epsv = listing.epsv;

      phase = 'transfer';
      if (size === null) {
        // No size listed (a symlink, a LIST without sizes): ask, so that a `.part` can be checked
        // now and later, and the end of the transfer is known. Rare: one more round trip, and a
        // fresh EPSV after it rather than the pipelined one (not every server keeps it across SIZE).
        size = await remoteSize(client, remotePath);
        epsv = null;
      }
      sink = await BookSink.open(ftpSinkOptions(opts, cand, context));
      // Only continue a part provably of the same remote file: same size, and the same time to the
      // second (MDTM) as when it started (the listing's date has minute resolution).
      if (sink.startAt > 0 && ftpResumeCandidate(sink.startAt, sink.kept, size) !== null) await sink.discard();
      // MDTM (one round trip): to check a kept part before REST, and to record the time with a new
      // part whose meta is written when it starts (2 MiB or more), or whose listing gives no date
      // (a symlink's listed date is the link's own). Refused (500/502/550): no resume, the whole file.
      if (sink.startAt > 0 || (size !== null && (size >= EAGER_META_BYTES || modified === null))) {
        const mdtm = await remoteModified(client, remotePath);
        epsv = null;
        if (sink.startAt > 0 && ftpResumeMismatch(sink.startAt, sink.kept, size, mdtm) !== null) await sink.discard();
        if (mdtm) modified = mdtm;
      }
      const startAt = sink.startAt;
      ctx.progress.setState('downloading', label);
      ctx.progress.setItemTotal(size === null ? null : size - startAt);
      sink.begin(startAt === 0 ? (modified ? { size, modified } : { size }) : undefined);
      if (size !== null && startAt === size) {
        sink.input.end(); // the kept part is the whole file
        await once(sink.input, 'finish');
      } else {
        const stallMs = this.target.stallTimeoutMs ?? this.target.timeoutMs;
        const reply = await retrIntoSink(client, sink, { remotePath, startAt, size, epsv, host: this.target.host, timeoutMs: this.target.timeoutMs, stallMs, context });
        // All bytes in: the `226` is collected before the next command (see settlePending).
        if (reply) this.pendingReply = reply;
      }
      const transferred = sink.received;
      const result = await sink.finish();
      sink = null;
      return toFetchedBook(ebook, `${this.target.baseUrl}${remotePath}`, cand, result, transferred, startAt);
    } catch (e) {
      if (ctx.signal.aborted) {
        this.drop();
        throw abortedError(context);
      }
      const err = mapFtpError(e, phase, context);
      // Anything but a plain "no such file"/"refused" reply may leave replies in flight: reconnect.
      if (!(e instanceof FTPError && e.code >= 500) && !(e instanceof FanoutError)) this.drop();
      if (this.client?.closed) this.drop();
      throw err;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      await sink?.close();
    }
  }

  /**
   * A batch on this session's control connection, pipelined (see ftp-batch.ts): the listings of
   * all the books in one round trip, then each book's EPSV + RETR queued at the server ahead of
   * time. Books the batch cannot take (no listed size, STAT or EPSV unusable here) and repeats of a
   * book go through fetchBook afterwards.
   */
  async fetchBooks(ebooks: number[], given: FetchBooksOptions | FetchBooksHandOverOptions): Promise<Array<FetchedBook | FanoutError>> {
    // Every book is landed here (FTP holds none in memory): a hand-over caller gets FetchedBooks only.
    const opts: FetchBooksOptions = { ...given, deferRawLanding: false, onFetched: given.onFetched };
    ebooks.forEach(assertEbook);
    if (ebooks.length === 0) return [];
    const { ctx } = opts;
    const unique = [...new Set(ebooks)];
    const first: ErrorContext = { host: this.target.host, ebook: unique[0]!, path: `${this.target.root}/${bookDir(unique[0]!)}` };
    if (ctx.signal.aborted) throw abortedError(first);
    // An error of the whole batch (login, lost connection) is no one book's: it names the server only.
    const batchContext: ErrorContext = { host: this.target.host, path: this.target.root || '/' };
    const results: BatchResult[] = this.batchable ? await this.pipelined(unique, opts, first, batchContext) : unique.map(() => FALLBACK);
    const one = async (ebook: number): Promise<FetchedBook | FanoutError> => {
      let book: FetchedBook;
      try {
        book = await this.fetchListed(ebook, opts);
      } catch (e) {
        if (ctx.signal.aborted) throw abortedError({ ...first, ebook });
        return e instanceof FanoutError ? e : mapFtpError(e, 'transfer', { host: this.target.host, ebook });
      }
      try {
        await opts.onFetched(book);
      } catch (e) {
        return toFanoutError(e, { host: this.target.host, ebook });
      }
      return book;
    };
    const byEbook = new Map<number, FetchedBook | FanoutError>();
    for (let i = 0; i < unique.length; i++) {
      const r = results[i]!;
      byEbook.set(unique[i]!, r === FALLBACK ? await one(unique[i]!) : r);
    }
    const out: Array<FetchedBook | FanoutError> = [];
    const seen = new Set<number>();
    for (const ebook of ebooks) {
      out.push(seen.has(ebook) ? await one(ebook) : byEbook.get(ebook)!);
      seen.add(ebook);
    }
    // A cancel that came as the last books landed stops nothing: they are handed back (see stoppedByCancel).
    if (ctx.signal.aborted && out.some(stoppedByCancel)) throw abortedError(first);
    return out;
  }

  /** The pipelined part of fetchBooks; rejects when nothing could be done (login, or a dead connection). */
  private async pipelined(ebooks: number[], opts: FetchBooksOptions, first: ErrorContext, batchContext: ErrorContext, redo = false): Promise<BatchResult[]> {
    const { ctx } = opts;
    for (let attempt = 0; ; attempt++) {
      await this.settlePending();
      const reused = this.client !== null && !this.client.closed;
      let client: Client;
      let login: BatchLogin | null;
      try {
        ({ client, login } = await this.connectForBatch(ctx.progress, String(ebooks[0])));
      } catch (e) {
        this.drop();
        if (ctx.signal.aborted) throw abortedError(first);
        throw mapFtpError(e, 'login', batchContext);
      }
      const batch = new FtpBatch(client, this.target, ebooks, opts, { statWorks: this.statWorks, epsvWorks: this.pipelineEpsv }, this.host, login);
      let out: FtpBatchOutcome;
      try {
        out = await batch.run();
      } catch (e) {
        this.drop();
        if (ctx.signal.aborted) throw abortedError(first);
        // The batch's own login failed: the same error as a login on its own (see connect).
        if (login && !login.done) throw mapFtpError(loginError(e, this.target, true, this.host.loggedIn), 'login', batchContext);
        // A reused connection the server dropped while idle: log in again once, quietly.
        if (attempt === 0 && reused && !(e instanceof FanoutError)) continue;
        throw mapFtpError(e, 'list', batchContext);
      }
      this.statWorks = out.statWorks;
      this.pipelineEpsv = out.epsvWorks;
      if (out.broken || client.closed) this.drop();
      else this.pendingReply = out.tail;
      // A redo that goes out of step again is not redone a third time: its books not done come back
      // as FALLBACK, fetched one at a time by fetchBooks (bounded whatever the server does).
      if (!out.outOfStep || attempt > 0 || redo) return out.results;
      // Replies went out of step (the server is lock-step now): the books not done go again, in a
      // new batch on a new connection that writes nothing while a transfer runs.
      const again = ebooks.filter((_, i) => out.results[i] === FALLBACK);
      if (again.length === 0 || ctx.signal.aborted) return out.results;
      const redone = await this.pipelined(again, opts, first, batchContext, true);
      const byEbook = new Map(again.map((e, i) => [e, redone[i]!] as const));
      return ebooks.map((e, i) => byEbook.get(e) ?? out.results[i]!);
    }
  }

  /** One file by path (e.g. the catalog) on this session's connection and login: see ftp-file.ts. */
  async fetchFile(relPath: string, opts: FetchFileOptions): Promise<FetchedFile> {
    const remotePath = `${this.target.root}/${relPath}`;
    const context: ErrorContext = { host: this.target.host, path: remotePath };
    if (opts.signal?.aborted) throw abortedError(context);
    const onAbort = () => this.drop();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const client = await this.connect(noProgress, relPath);
      await this.settlePending();
      return await fetchFtpFile(client, remotePath, `${this.target.baseUrl}${remotePath}`, opts, context);
    } catch (e) {
      if (opts.signal?.aborted) throw abortedError(context);
      if (this.client?.closed) this.drop();
      throw e instanceof FanoutError ? e.withContext(context) : mapFtpError(e, 'login', context);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * A folder's names under the root (`relDir` '' the root itself, '../' the folder above; a folder's
   * name ends in '/'), on this session's connection and login: `CWD` then `LIST`. Null when the server
   * has no such folder for this login (550 to CWD). For the wrong-root probe (gutenberg/wrong-root.ts),
   * which then makes no login of its own (refused where the job's workers fill the server's per-address
   * limit). The session's other commands use absolute paths: the CWD changes none of them.
   */
  async listFolderNames(relDir: string, signal?: AbortSignal): Promise<string[] | null> {
    const dir = posix.normalize(posix.join(this.target.root || '/', relDir)).replace(/(.)\/+$/, '$1');
    const context: ErrorContext = { host: this.target.host, path: dir };
    if (signal?.aborted) throw abortedError(context);
    const onAbort = () => this.drop();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const client = await this.connect(noProgress, dir);
      await this.settlePending();
      try {
        await client.cd(dir);
      } catch (e) {
        if (e instanceof FTPError && e.code === 550) return null;
        throw e;
      }
      // Taken only whole (ftp-list.ts): a cut listing is a retryable error, not a folder with fewer names.
      const first = await listWhole(client, '', this.target.host, context);
      const folderName = (e: FileInfo) => (e.isDirectory || e.isSymbolicLink ? `${e.name}/` : e.name);
      const names = new Set(first.entries.map(folderName));
      // A server that counts nothing (vsftpd, ProFTPD): a listing cut at a line end looks whole, and
      // the wrong-root verdict (the job stops) rests on names missing from it: the names of a second
      // listing are added (a rare probe: one listing more).
      if (!first.counted) for (const e of (await listWhole(client, '', this.target.host, context)).entries) names.add(folderName(e));
      return [...names];
    } catch (e) {
      if (signal?.aborted) throw abortedError(context);
      if (this.client?.closed) this.drop();
      throw e instanceof FanoutError ? e.withContext(context) : mapFtpError(e, 'list', context);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.drop();
  }

  /** Closes the control connection; the next fetchBook logs in again. */
  private drop(): void {
    if (this.counted) this.host.loggedIn--;
    this.counted = false;
    this.client?.close();
    this.client = null;
    this.pendingReply = null;
  }

  private async connect(progress: FetchBookOptions['ctx']['progress'], label: string): Promise<Client> {
    if (this.client && !this.client.closed) return this.client;
    const client = await this.open(progress, label, (c) => loginFtp(c, this.target));
    this.loggedIn();
    return client;
  }

  /** A new control connection in place of the old one, readied by `ready` (connect, maybe log in). */
  private async open(progress: FetchBookOptions['ctx']['progress'], label: string, ready: (client: Client) => Promise<unknown>): Promise<Client> {
    this.drop();
    progress.setState('connecting', label);
    const client = new Client(this.target.timeoutMs);
    this.client = client;
    try {
      await ready(client);
    } catch (e) {
      // A half-opened client is never reused: the next call starts over.
      const plain = controlIsPlain(client);
      this.drop();
      throw loginError(e, this.target, plain, this.host.loggedIn);
    }
    return client;
  }

  /**
   * As connect, but a fresh plain-FTP session stops after the banner and hands its login to the
   * batch, which writes it with its first commands (ftp-batch-login.ts): one round trip less.
   */
  private async connectForBatch(progress: FetchBookOptions['ctx']['progress'], label: string): Promise<{ client: Client; login: BatchLogin | null }> {
    if ((this.client && !this.client.closed) || this.target.secure) return { client: await this.connect(progress, label), login: null };
    const commands = loginCommands(this.target.user, this.target.password);
    const client = await this.open(progress, label, (c) => connectFtp(c, this.target));
    const loggedIn = () => {
      this.loggedIn();
      progress.setState('listing', label);
    };
    return { client, login: new BatchLogin(commands, loggedIn) };
  }

  private loggedIn(): void {
    this.logins++;
    this.host.loggedIn++;
    this.counted = true;
  }

  /** Waits (bounded) for the `226` of a transfer that already delivered all its bytes. */
  private async settlePending(): Promise<void> {
    const pending = this.pendingReply;
    if (!pending) return;
    this.pendingReply = null;
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([
      pending.then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.target.timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!ok) this.drop();
  }

  /** The book folder's listing (see listFolder); remembers what the server cannot do. */
  private async listDir(client: Client, remoteDir: string, context: ErrorContext): Promise<Listing> {
    // (No transfer runs on the connection here: STAT and EPSV may go in one write on any server.)
    const caps = { statWorks: this.statWorks, pipelineEpsv: this.pipelineEpsv };
    const listing = await listFolder(client, remoteDir, caps, this.target.host, context);
    this.statWorks = caps.statWorks;
    this.pipelineEpsv = caps.pipelineEpsv;
    return listing;
  }
}
