import { FanoutError } from '../core/fanout-error';
import type { HeldText, SinkResult } from './book-sink';
import type { Candidate } from './mirror-layout';
import type { FetchedBook, HeldBook } from './types';

/** What a session reports once a book's text is on disk under its final name. */
export function toFetchedBook(ebook: number, url: string, cand: Candidate, result: SinkResult, transferredBytes: number, resumedFrom: number): FetchedBook {
  return {
    ebook,
    url,
    remoteName: cand.remoteName,
    rawPath: result.rawPath,
    bytes: result.bytes,
    sha256: result.sha256,
    encodingHint: cand.encodingHint,
    fromZip: cand.fromZip,
    transferredBytes,
    resumedFrom,
    ...(result.mtimeMs === undefined ? {} : { mtimeMs: result.mtimeMs }),
  };
}

/** What an HTTP run reports for a small text received whole and handed over as bytes (not on disk: no hash, no mtime). */
export function toHeldBook(ebook: number, url: string, cand: Candidate, held: HeldText, transferredBytes: number, resumedFrom: number): HeldBook {
  return {
    ebook,
    url,
    remoteName: cand.remoteName,
    rawPath: held.rawPath,
    bytes: held.bytes.length,
    encodingHint: cand.encodingHint,
    fromZip: cand.fromZip,
    transferredBytes,
    resumedFrom,
    heldRaw: { bytes: held.bytes, partPath: held.partPath, lent: true },
  };
}

/**
 * A book's outcome in a batch that was cancelled: was it stopped by the cancel (no outcome yet, the
 * cancel's error, or a retryable error the cancel may have caused), so that the batch rejects with
 * ABORTED? A book landed (or failed for good) as the cancel came is not: the batch hands it back
 * rather than leave its file in place unrecorded, for the re-run to fetch again.
 */
export function stoppedByCancel(result: FetchedBook | HeldBook | FanoutError | symbol | null | undefined): boolean {
  if (result === null || result === undefined || typeof result === 'symbol') return true;
  return result instanceof FanoutError && (result.code === 'ABORTED' || result.retryable);
}
