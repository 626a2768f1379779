import { once } from 'node:events';
import tls from 'node:tls';
import { Client, FTPError, type FTPResponse } from 'basic-ftp';
import { FanoutError, abortedError, toFanoutError } from '../core/fanout-error';
import { authTlsRefused, mapFtpError, type FtpPhase } from './ftp-errors';
import type { ErrorContext } from '../../../shared/errors';
import { BookSink } from './book-sink';
import { epsvPort, openPassive, sendAll, sendPipelined } from './ftp-pipeline';
import { ftpResumeMismatch } from './resume-check';
import type { TlsTrust } from './tls-trust';
import { parseStatListing, type ListingEntry } from './listing-parsers';
import { assertEbook, bookDir, chooseCandidate } from './mirror-layout';
import type { FetchBookOptions, FetchBooksOptions, FetchedBook, MirrorSession } from './types';
import { FALLBACK, FtpBatch, type BatchResult, type FtpBatchOutcome } from './ftp-batch';
import { toFetchedBook } from './fetched-book';

export interface FtpTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Mirror root path without trailing slash ('' for the server root). */
  root: string;
  /** Base URL for `FetchedBook.url` (no trailing slash). */
  baseUrl: string;
  secure: boolean | 'implicit';
  /** Certificate checks for FTPS (control and data connections). */
  tls: TlsTrust;
  timeoutMs: number;
}


interface Listing {
  entries: ListingEntry[];
  /** The `229` reply of an EPSV sent with the STAT, when pipelined. */
  epsv: FTPResponse | null;
}

/**
 * One worker's FTP session: one basic-ftp Client (one control connection), logged in once and
 * reused for every book. Plain FTP logs in in one round trip (OPTS, USER, PASS, TYPE I pipelined);
 * FTPS goes through basic-ftp's `access()`. Books go through the pipelined batch engine
 * (ftp-batch.ts), `fetchBook` as a batch of one: STAT + EPSV + RETR `N-0.txt` in one write, so a
 * book whose best form is `N-0.txt` costs the listing's round trip and the transfer, nothing more.
 * Books the engine cannot take (no size listed, e.g. a symlink; a server whose STAT gives no listing
 * or that refuses EPSV) go through fetchListed, one step at a time (STAT + EPSV pipelined, SIZE when
 * needed, LIST where STAT fails). A `.part` is resumed with REST, only when the remote file's size
 * still fits it (see resume-check.ts). After a connection error, a timeout or a cancel, the client is
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

  constructor(
    private readonly target: FtpTarget,
    readonly workerId: number,
  ) {}

  /**
   * One book: the batch engine with a batch of one (STAT + EPSV + RETR of `N-0.txt` in one write,
   * see ftp-batch.ts), falling back to fetchListed when the server needs it (no listed size, no
   * STAT listing, no EPSV).
   */
  async fetchBook(ebook: number, opts: FetchBookOptions): Promise<FetchedBook> {
    assertEbook(ebook);
    if (!this.statWorks || !this.pipelineEpsv) return this.fetchListed(ebook, opts);
    const first: ErrorContext = { host: this.target.host, ebook, path: `${this.target.root}/${bookDir(ebook)}` };
    if (opts.ctx.signal.aborted) throw abortedError(first);
    const [r] = await this.pipelined([ebook], { ...opts, onFetched: async () => {} }, first);
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
        listing = await this.listDir(client, remoteDir);
      } catch (e) {
        // A reused connection the server dropped while idle: log in again once, quietly.
        if (!reused || e instanceof FTPError || ctx.signal.aborted) throw e;
        this.drop();
        phase = 'login';
        client = await this.connect(ctx.progress, label);
        phase = 'list';
        listing = await this.listDir(client, remoteDir);
      }
      const sizes = new Map(listing.entries.filter((e) => !e.isDir).map((e) => [e.name, e.size] as const));
      const cand = chooseCandidate(ebook, sizes.keys(), 'ftp');
      if (!cand) throw new FanoutError('BOOK_NOT_FOUND', `No text file of ebook ${ebook} in ${remoteDir}`, context);
      const remotePath = `${this.target.root}/${cand.relPath}`;
      context.path = remotePath;
      let size = sizes.get(cand.remoteName) ?? null;
      let epsv = listing.epsv;

      phase = 'transfer';
      if (size === null) {
        // No size listed (a symlink, a LIST without sizes): ask, so that a `.part` can be checked
        // now and later, and the end of the transfer is known. Rare: one more round trip, and a
        // fresh EPSV after it rather than the pipelined one (not every server keeps it across SIZE).
        size = await remoteSize(client, remotePath);
        epsv = null;
      }
      sink = await BookSink.open({ rawDir: opts.rawDir, remoteName: cand.remoteName, textName: cand.textName, fromZip: cand.fromZip, progress: ctx.progress, context });
      // Only continue a part of the same remote file (a changed size means a changed file).
      if (sink.startAt > 0 && ftpResumeMismatch(sink.startAt, sink.kept, size) !== null) await sink.discard();
      const startAt = sink.startAt;
      ctx.progress.setState('downloading', label);
      ctx.progress.setItemTotal(size === null ? null : size - startAt);
      sink.begin(startAt === 0 || !sink.kept ? { size } : undefined);
      if (size !== null && startAt === size) {
        sink.input.end(); // the kept part is the whole file
        await once(sink.input, 'finish');
      } else {
        await this.download(client, sink, remotePath, startAt, size, epsv, context);
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
  async fetchBooks(ebooks: number[], opts: FetchBooksOptions): Promise<Array<FetchedBook | FanoutError>> {
    ebooks.forEach(assertEbook);
    if (ebooks.length === 0) return [];
    const { ctx } = opts;
    const unique = [...new Set(ebooks)];
    const first: ErrorContext = { host: this.target.host, ebook: unique[0]!, path: `${this.target.root}/${bookDir(unique[0]!)}` };
    if (ctx.signal.aborted) throw abortedError(first);
    const results: BatchResult[] = this.statWorks && this.pipelineEpsv ? await this.pipelined(unique, opts, first) : unique.map(() => FALLBACK);
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
    if (ctx.signal.aborted) throw abortedError(first);
    return out;
  }

  /** The pipelined part of fetchBooks; rejects when nothing could be done (login, or a dead connection). */
  private async pipelined(ebooks: number[], opts: FetchBooksOptions, first: ErrorContext): Promise<BatchResult[]> {
    const { ctx } = opts;
    for (let attempt = 0; ; attempt++) {
      await this.settlePending();
      const reused = this.client !== null && !this.client.closed;
      let client: Client;
      try {
        client = await this.connect(ctx.progress, String(ebooks[0]));
      } catch (e) {
        this.drop();
        if (ctx.signal.aborted) throw abortedError(first);
        throw mapFtpError(e, 'login', first);
      }
      const batch = new FtpBatch(client, this.target, ebooks, opts, { statWorks: this.statWorks, epsvWorks: this.pipelineEpsv });
      let out: FtpBatchOutcome;
      try {
        out = await batch.run();
      } catch (e) {
        this.drop();
        if (ctx.signal.aborted) throw abortedError(first);
        // A reused connection the server dropped while idle: log in again once, quietly.
        if (attempt === 0 && reused && !(e instanceof FanoutError)) continue;
        throw mapFtpError(e, 'list', first);
      }
      this.statWorks = out.statWorks;
      this.pipelineEpsv = out.epsvWorks;
      if (out.broken || client.closed) this.drop();
      else this.pendingReply = out.tail;
      return out.results;
    }
  }

  async close(): Promise<void> {
    this.drop();
  }

  /** Closes the control connection; the next fetchBook logs in again. */
  private drop(): void {
    this.client?.close();
    this.client = null;
    this.pendingReply = null;
  }

  private async connect(progress: FetchBookOptions['ctx']['progress'], label: string): Promise<Client> {
    if (this.client && !this.client.closed) return this.client;
    this.drop();
    progress.setState('connecting', label);
    const client = new Client(this.target.timeoutMs);
    this.client = client;
    try {
      if (this.target.secure) {
        await client.access({
          host: this.target.host,
          port: this.target.port,
          user: this.target.user,
          password: this.target.password,
          secure: this.target.secure,
          // A fresh object: basic-ftp adds `host` to it and keeps it for the data connections.
          secureOptions: { ...this.target.tls },
        });
      } else {
        await client.connect(this.target.host, this.target.port);
        await pipelinedLogin(client, this.target.user, this.target.password);
      }
    } catch (e) {
      // A half-opened client is never reused: the next call starts over.
      const plain = !(client.ftp.socket instanceof tls.TLSSocket);
      this.drop();
      // `AUTH TLS` refused (not a login failure): the server offers no explicit FTPS.
      if (this.target.secure === true && plain && e instanceof FTPError && e.code >= 500) throw authTlsRefused(e, this.target.host);
      throw e;
    }
    this.logins++;
    return client;
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

  /**
   * The book folder's listing. `STAT <dir>` and `EPSV` go out back to back and both replies come
   * back in one round trip, so the passive port for the RETR that follows is already known
   * (STAT + EPSV + RETR cost 2 round trips plus the data connect, instead of 3). Servers handle
   * commands in order (RFC 959); one that rejects EPSV turns the pipelining off. Over FTPS too:
   * the commands go through the TLS control connection and openPassive makes the data connection TLS.
   */
  private async listDir(client: Client, remoteDir: string): Promise<Listing> {
    if (this.statWorks) {
      let stat: FTPResponse | FTPError;
      let epsv: FTPResponse | null = null;
      if (this.pipelineEpsv) {
        const [a, b] = await sendPipelined(client, `STAT ${remoteDir}`, 'EPSV');
        stat = a;
        if (b instanceof FTPError || epsvPort(b.message) === null) this.pipelineEpsv = false;
        else epsv = b;
      } else {
        stat = await client.send(`STAT ${remoteDir}`).catch((e: unknown) => {
          if (e instanceof FTPError) return e;
          throw e;
        });
      }
      if (!(stat instanceof FTPError) && (stat.code === 212 || stat.code === 213)) return { entries: parseStatListing(stat.message), epsv };
      if (stat instanceof FTPError && stat.code === 550) return { entries: [], epsv: null }; // no such folder
      if (stat instanceof FTPError && ![500, 501, 502, 504].includes(stat.code)) throw stat;
      this.statWorks = false; // 211 (server status, path ignored) or STAT unsupported
    }
    try {
      const list = await client.list(remoteDir);
      const entries = list.map((f) => ({ name: f.name, size: f.isDirectory || f.isSymbolicLink ? null : f.size, isDir: f.isDirectory }));
      return { entries, epsv: null };
    } catch (e) {
      if (e instanceof FTPError && (e.code === 550 || e.code === 450)) return { entries: [], epsv: null };
      throw e;
    }
  }

  /**
   * RETR (with REST when resuming) into the sink. Resolves as soon as the data connection
   * delivered the expected bytes and closed; the `226` is then left pending (see settlePending).
   */
  private async download(
    client: Client,
    sink: BookSink,
    remotePath: string,
    startAt: number,
    size: number | null,
    epsv: FTPResponse | null,
    context: ErrorContext,
  ): Promise<void> {
    if (epsv) {
      // The passive port came with the listing: connect now and let basic-ftp skip its own EPSV.
      await openPassive(client, epsv, this.target.timeoutMs);
      const original = client.prepareTransfer;
      client.prepareTransfer = async () => {
        client.prepareTransfer = original;
        return epsv;
      };
    }
    const transfer = client.downloadTo(sink.input, remotePath, startAt);
    transfer.catch(() => {});
    const need = size === null ? null : size - startAt;
    const dataDone = once(sink.input, 'finish').then(
      () => true,
      () => false,
    );
    const early = await Promise.race([transfer.then(() => false), dataDone]);
    if (early && need !== null && sink.received === need) {
      this.pendingReply = transfer.then(() => undefined);
      this.pendingReply.catch(() => {});
      return;
    }
    await transfer;
    await dataDone;
    if (need !== null && sink.received !== need) {
      throw new FanoutError('SIZE_MISMATCH', `Received ${sink.received} of ${need} bytes`, context);
    }
  }
}

/**
 * Logs in and sets binary mode in one round trip: `OPTS UTF8 ON`, `USER`, `PASS`, `TYPE I` in one
 * write (RFC 959: the server answers in order), where basic-ftp's `access()` spends one round trip
 * per command and adds FEAT, STRU F and OPTS UTF8 again (7 to 8 round trips; FEAT only picks MLSD
 * for `list()`, which is used only where STAT gives no listing and works with LIST). Plain FTP only:
 * FTPS goes through `access()` (AUTH TLS, the handshake, PBSZ/PROT). Throws the first refusal
 * (a 530 is AUTH_FAILED, a 421 TOO_MANY_CONNECTIONS, through mapFtpError).
 */
async function pipelinedLogin(client: Client, user: string, password: string): Promise<void> {
  if (/[\r\n\0]/.test(user + password)) throw new FanoutError('BAD_INPUT', 'The FTP user or password contains control characters', {});
  const [, userReply, passReply, typeReply] = await sendAll(client, ['OPTS UTF8 ON', `USER ${user}`, `PASS ${password}`, 'TYPE I']);
  if (userReply instanceof FTPError) throw userReply;
  // 331: the password is needed (and must be accepted); 230: logged in already (PASS is then refused or ignored).
  if (userReply!.code === 331 && passReply instanceof FTPError) throw passReply;
  if (userReply!.code !== 230 && userReply!.code !== 331) throw new FTPError({ code: 530, message: `530 Login not completed (${userReply!.message})` });
  if (typeReply instanceof FTPError) throw typeReply;
}

/** `SIZE` of a remote file (one round trip; asked only when the listing has no size); null if refused. */
async function remoteSize(client: Client, remotePath: string): Promise<number | null> {
  try {
    return await client.size(remotePath);
  } catch (e) {
    if (e instanceof FTPError) return null;
    throw e;
  }
}
