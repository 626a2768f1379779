import type { FanoutError } from '../core/fanout-error';
import type { FetchedBook } from './types';

/** What a pipelined FTP batch (ftp-batch.ts) is given about its server, and what it hands back to the session. */

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
  /** Replies went out of step: the books not done are FALLBACK, to go again (see FtpBatch.outOfStep). */
  outOfStep: boolean;
}
