import type { FanoutError } from '../core/fanout-error';
import type { WorkerContext } from '../core/worker-context';
import type { ProxySetting } from '../net/proxy-config';
import type { RawParts } from './raw-parts';

export type MirrorProtocol = 'ftp' | 'ftps' | 'http' | 'https';

/** A Gutenberg mirror. One per job; sessions are opened per worker lane. */
export interface Mirror {
  readonly url: string;
  readonly host: string;
  readonly protocol: MirrorProtocol;
  /**
   * A session for one worker: one FTP control connection, or one HTTP keep-alive socket (its own
   * agent, so the pool's worker count is the connection count and closing a session closes it).
   */
  openSession(workerId: number): MirrorSession;
  /** Closes every session opened from this mirror. */
  close(): Promise<void>;
}

export interface FetchBookOptions {
  /** Folder the text is written into (created if missing). Nothing is ever written outside it. */
  rawDir: string;
  ctx: WorkerContext;
  /** The job's knowledge of `rawDir`'s `.part` files (mirror/raw-parts.ts): spares a mkdir and a stat per book. */
  rawParts?: RawParts;
  /**
   * HTTP: send each book's folder index request right behind its `GET N-0.txt`, so a book without
   * that file costs two round trips (the index, then the file it names), not three; each book that
   * has it costs one small response more. For small batches, where those round trips are the
   * batch's length (http-session.ts). FTP ignores it.
   */
  speculateIndex?: boolean;
}

export interface FetchBooksOptions extends FetchBookOptions {
  /**
   * Called as each book lands (its text renamed into place), before the batch ends, in the order the
   * books land. Calls are chained (the next waits for the previous one); a rejection becomes that
   * book's result.
   */
  onFetched(book: FetchedBook): Promise<void>;
  deferRawLanding?: false;
}

/**
 * `fetchBooks` with `deferRawLanding`: HTTP hands a small new text received whole to `onFetched` as
 * bytes not yet on disk (a `HeldBook`), for the caller to land (the job does it on its scrub thread,
 * with the cleaning: no raw-file call on this thread); every other book comes as a `FetchedBook`.
 * FTP lands every book itself.
 */
export interface FetchBooksHandOverOptions extends FetchBookOptions {
  onFetched(book: FetchedBook | HeldBook): Promise<void>;
  deferRawLanding: true;
}

export interface MirrorSession {
  /**
   * Finds and downloads the best text file of `ebook` into `rawDir` (atomically: `<name>.part`
   * then rename), resuming a `.part` left by an earlier attempt. Zip files are unzipped as a
   * stream and the text inside is what is written.
   */
  fetchBook(ebook: number, opts: FetchBookOptions): Promise<FetchedBook>;
  /**
   * Several books on this session's one connection, their requests pipelined so that round trips
   * are paid per batch rather than per book. Resolves with one result per book, in the order given:
   * the FetchedBook, or the FanoutError that book failed with (a book's failure does not fail the
   * others). A connection lost mid-batch gives the unfinished books a retryable error; the session
   * reconnects on its next call. Rejects only when no book got anywhere (the login or the connection
   * failed before any reply: retry the batch as a whole) or when cancelled (ABORTED).
   */
  fetchBooks(ebooks: number[], opts: FetchBooksOptions): Promise<Array<FetchedBook | FanoutError>>;
  /** The same, a small text received whole coming as a `HeldBook` (HTTP; FTP lands every book). */
  fetchBooks(ebooks: number[], opts: FetchBooksHandOverOptions): Promise<Array<FetchedBook | HeldBook | FanoutError>>;
  /**
   * Any one file of the mirror (e.g. the catalog, `cache/epub/feeds/pg_catalog.csv`) written to
   * `opts.dest` as it arrives, with the session's connection, TLS and timeouts. Not atomic: the
   * caller writes to a temp path and renames. Rejects with a FanoutError (not found: HTTP_NOT_FOUND
   * / FTP_NOT_FOUND; a short body: SIZE_MISMATCH).
   */
  fetchFile(relPath: string, opts: FetchFileOptions): Promise<FetchedFile>;
  /**
   * FTP: a folder's names under the root ('' the root, '../' the folder above; a folder's name ends in
   * '/') on this session's login (CWD, LIST); null when the server has no such folder for it (550).
   * For the wrong-root probe (gutenberg/wrong-root.ts), which then makes no login of its own.
   */
  listFolderNames?(relDir: string, signal?: AbortSignal): Promise<string[] | null>;
  /** Drops the connection; the next fetchBook reconnects. */
  close(): Promise<void>;
}

export interface FetchFileOptions {
  /** Local file written (created or truncated). */
  dest: string;
  signal?: AbortSignal;
  /** HTTP: ask for gzip and decompress it (the bytes counted are the ones on the wire). */
  acceptGzip?: boolean;
  /** Called as bytes arrive (from the network), with the size announced, if any. */
  onProgress?: (bytes: number, total: number | null) => void;
}

export interface FetchedFile {
  /** Full URL of the remote file (the last one, after redirects). */
  url: string;
  /** Bytes received from the network. */
  received: number;
  /** Size the server announced (Content-Length, FTP SIZE), or null. */
  total: number | null;
}

export type EncodingHint = 'utf-8' | 'latin-1' | 'unknown';

/** What a fetched book is, on disk or not. */
export interface FetchedBookFacts {
  ebook: number;
  /** Full URL of the remote file downloaded. */
  url: string;
  /** Remote file chosen, e.g. '1342-0.txt' or '1342-8.zip' ('pg1342.txt' for cache/epub). */
  remoteName: string;
  /** Absolute path of the text (written, or to be written), inside rawDir. */
  rawPath: string;
  /** Bytes of the text (after unzipping). */
  bytes: number;
  encodingHint: EncodingHint;
  fromZip: boolean;
  /** Remote bytes received by this call (less than the file size when a `.part` was resumed). */
  transferredBytes: number;
  /** Remote offset this call resumed at (0 = fresh download). */
  resumedFrom: number;
}

/** A book whose text is on disk under its final name (`rawPath`), fsynced, hashed as written. */
export interface FetchedBook extends FetchedBookFacts {
  /** sha256 (hex) of the text written. */
  sha256: string;
  /** The text's mtime as written (for the manifest; read on its descriptor, no later `stat`). */
  mtimeMs?: number;
}

/**
 * A small new text received whole and NOT on disk yet (only with `FetchBooksHandOverOptions`): no
 * hash, no mtime, the caller has them when it writes it. `heldRaw.bytes` are all its bytes (checked
 * against the announced size); the caller writes them to `partPath`, fsyncs it, renames it to
 * `rawPath` and fsyncs the folder before anything refers to the book. `bytes` is a view at the start
 * of a buffer that is the caller's alone (`lent`): it may be moved to another thread, and given back
 * with mirror/held-buffers.ts `giveHeldBuffer` for the next book.
 */
export interface HeldBook extends FetchedBookFacts {
  heldRaw: { bytes: Uint8Array<ArrayBuffer>; partPath: string; lent: true };
}

/** Whether `book` is a held text (not on disk) rather than a landed one. */
export function isHeldBook(book: FetchedBook | HeldBook): book is HeldBook {
  return 'heldRaw' in book;
}

export interface OpenMirrorOptions {
  /** Per-operation inactivity timeout, ms (connect, reply, data). */
  timeoutMs: number;
  /**
   * Stall timeout, ms: a body (HTTP) that receives fewer than 1 KiB in this long while we are
   * reading is cut and its books retried, so a trickling server cannot hold a worker forever.
   * Default: `timeoutMs`.
   */
  stallTimeoutMs?: number;
  /** TLS for `ftps://` and `https://` mirrors (ignored for plain ones). */
  tls?: MirrorTlsOptions;
  /**
   * FTP: start lock-step (no command written during a transfer; remembered from an earlier job),
   * and a hook called once when this job finds the server needs it (see ftp-host-state.ts).
   */
  ftp?: { lockStep?: boolean; onLockStep?: (host: string, reason: string) => void };
  /**
   * HTTP proxy for http(s) mirrors (net/proxy-config.ts): `env` (default: HTTPS_PROXY /
   * HTTP_PROXY / NO_PROXY), `none`, or a proxy URL. An FTP mirror with a proxy URL is refused.
   */
  proxy?: ProxySetting;
}

/**
 * How much to trust a mirror's certificate. By default it must chain to one of Node's bundled root
 * CAs and name the host; a failure is TLS_FAILED (permanent: retrying cannot fix it).
 */
export interface MirrorTlsOptions {
  /** False accepts any certificate (no protection against a man in the middle). Default true. */
  rejectUnauthorized?: boolean;
  /**
   * Extra CA certificates (PEM) to trust besides Node's bundled roots, e.g. a mirror's self-signed
   * certificate or a private CA. The host name is still checked.
   */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * `ftps://`: implicit TLS (TLS from the first byte) instead of explicit `AUTH TLS`.
   * Default: implicit on port 990 only.
   */
  implicit?: boolean;
}
