import type { SinkResult } from './book-sink';
import type { Candidate } from './mirror-layout';
import type { FetchedBook } from './types';

/** What a session reports once a book's text is on disk under its final name. */
export function toFetchedBook(ebook: number, url: string, cand: Candidate, result: Omit<SinkResult, 'mtimeMs'> & { mtimeMs: number | undefined }, transferredBytes: number, resumedFrom: number): FetchedBook {
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
