import type net from 'node:net';
import { FanoutError, abortedError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';
import type { BookSink } from './book-sink';
import { mapFtpError } from './ftp-errors';
import type { ListingEntry } from './listing-parsers';
import { bookDir, chooseCandidate, type Candidate } from './mirror-layout';
import type { BatchResult } from './ftp-batch-types';
import { sizeMismatch } from './ftp-data-end';

/**
 * One book of a pipelined FTP batch (ftp-batch.ts): where its transfer is, what the listing said
 * about its file, its sink and data connection, and how it ended. Plain data and pure helpers; the
 * batch moves it through its phases.
 */

/**
 * Where a book's transfer is, always forward (how the book ended is its `result`, which may come at
 * any phase): `listing` (its STAT is out) → `opening` (listed; its sink is being opened) → `ready`
 * (resume offset known: its EPSV + RETR may be sent, or are on their way) → `receiving` (its data
 * connection is open) → `received` (the data connection delivered all it had) → `finishing` (every
 * byte in: the `.part` is being completed). A confirmed guess goes from `listing` to `ready`; a kept
 * `.part` that is already the whole file from `opening` to `finishing`.
 */
export type BookPhase = 'listing' | 'opening' | 'ready' | 'receiving' | 'received' | 'finishing';

export interface BatchBook {
  phase: BookPhase;
  ebook: number;
  label: string;
  remoteDir: string;
  context: ErrorContext;
  cand: Candidate | null;
  /** Remote size from the listing. */
  size: number;
  /** Remote modification time recorded with a new `.part`: the transfer's MDTM (`mdtm:<time>`, asked in its write), else the listing's (`list:<date>`, allows no resume). */
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
   * exists (see openGuesses in ftp-book-sinks.ts): confirmed when it does, wasted (replies ignored) when it does not.
   * `present`: whether the file exists (from the listing, else the guess's MDTM; null while unknown).
   */
  guess: {
    cand: Candidate;
    sink: BookSink;
    present: boolean | null;
    /** The guess's own MDTM reply (`mdtm:<time>`), null while unanswered or refused. */
    mdtm?: string | null;
    /** Its RETR was refused (a `kept` guess: nothing of it is kept). */
    refused?: boolean;
    /** A `kept` guess's data connection: undefined until its transfer started (its 229), then null until open. */
    data?: net.Socket | null;
  } | null;
  /**
   * `kept`: the listing names the guessed file without a size (a symlink): its transfer is received
   * into its `.part` and kept for the one-book path, which lands it only if `SIZE` and `MDTM` now are
   * the byte count and the time recorded (see FtpBatch.keepGuess), instead of reading it and dropping it.
   */
  guessState: 'none' | 'pending' | 'confirmed' | 'wasted' | 'kept';
  /** The final reply to RETR: 'ok' (226) or the error it mapped to. */
  retr: 'ok' | FanoutError | null;
  result: BatchResult | null;
}

/** A book about to be listed (its STAT not sent yet). */
export function newBatchBook(host: string, root: string, ebook: number): BatchBook {
  const remoteDir = `${root}/${bookDir(ebook)}`;
  return {
    phase: 'listing', ebook, label: String(ebook), remoteDir, context: { host, ebook, path: remoteDir },
    cand: null, size: 0, modified: null, untrusted: false, remotePath: '', sink: null, startAt: 0, restOk: null, settleRest: null,
    data: null, guess: null, guessState: 'none', retr: null, result: null,
  };
}

/** Sets the file the book will transfer (its candidate, listed size, full path). */
export function chooseFile(book: BatchBook, root: string, cand: Candidate, size: number): void {
  book.cand = cand;
  book.size = size;
  book.remotePath = `${root}/${cand.relPath}`;
  book.context = { ...book.context, path: book.remotePath };
}

/** What a book folder's listing says: the best candidate, its size (null: not listed, e.g. a symlink) and date. */
export function readListing(ebook: number, entries: ListingEntry[]): { cand: Candidate | null; size: number | null; modified: string | null; names: Set<string> } {
  const sizes = new Map(entries.filter((e) => !e.isDir).map((e) => [e.name, e.size] as const));
  const cand = chooseCandidate(ebook, sizes.keys(), 'ftp');
  const size = cand ? (sizes.get(cand.remoteName) ?? null) : null;
  const date = cand ? entries.find((e) => e.name === cand.remoteName)?.modified : undefined;
  return { cand, size, modified: date ? `list:${date}` : null, names: new Set(sizes.keys()) };
}

/** What a new `.part` records about its remote file (a resume checks both). */
export function metaOf(book: BatchBook): { size: number; modified?: string } {
  return book.modified ? { size: book.size, modified: book.modified } : { size: book.size };
}

/** The data connection ended with another byte count than the listed size: short, or more (the file changed since its listing). */
export function sizeError(book: BatchBook): FanoutError {
  return sizeMismatch(book.sink?.received ?? 0, book.size - book.startAt, book.context);
}

/** Every byte of the book's transfer arrived (the sink may still be flushing): it completes on its own. */
export function allBytesIn(book: BatchBook): boolean {
  return (book.phase === 'receiving' || book.phase === 'received') && book.sink!.received === book.size - book.startAt;
}

/** Not done, and not bound to complete on its own: what a lost connection settles. */
export function unfinished(book: BatchBook): boolean {
  return !book.result && book.phase !== 'finishing' && !allBytesIn(book);
}

/**
 * Replies went out of step: does `book` go back to be done again (not done, and not all its bytes
 * in with its data connection ended)? What a transfer in flight wrote is marked untrusted.
 */
export function redoneOutOfStep(book: BatchBook): boolean {
  if (book.result || book.phase === 'finishing') return false;
  if (book.phase === 'received' && book.sink!.received === book.size - book.startAt) return false;
  if (book.phase === 'receiving' || book.phase === 'received') book.untrusted = true;
  return true;
}

/**
 * A book's error when the batch's control connection is lost (`err`) before the book had its bytes:
 * the cause itself for the book in flight (`active`), a cancel or a permanent error; else a retryable
 * CONNECTION_RESET naming it (the book itself did nothing wrong).
 */
export function lostConnectionError(book: BatchBook, err: Error, active: boolean): FanoutError {
  const aborted = err instanceof FanoutError && err.code === 'ABORTED';
  const mapped = aborted ? abortedError(book.context) : mapFtpError(err, 'transfer', book.context);
  if (aborted || active || !mapped.retryable) return mapped;
  return new FanoutError('CONNECTION_RESET', `The connection was lost before ebook ${book.ebook} was fetched (${mapped.message})`, book.context, { cause: err });
}
