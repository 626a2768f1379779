import type { SinkResult } from './book-sink';
import type { Candidate } from './mirror-layout';
import type { FetchedBook } from './types';

/**
 * The text of a fetched book, when the sink kept it (SinkResult.text), beside the FetchedBook
 * rather than in it: a batch's results hold their FetchedBooks until the batch ends, and the
 * texts must not stay with them. Taken once (`takeFetchedText`); an untaken one goes with its book.
 */
const texts = new WeakMap<FetchedBook, Buffer>();

/** The book's text as received (the file's bytes), once; null when not kept (a resumed or very large file). */
export function takeFetchedText(book: FetchedBook): Buffer | null {
  const text = texts.get(book) ?? null;
  texts.delete(book);
  return text;
}

/** What a session reports once a book's text is on disk under its final name. */
export function toFetchedBook(ebook: number, url: string, cand: Candidate, result: SinkResult, transferredBytes: number, resumedFrom: number): FetchedBook {
  const book: FetchedBook = {
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
  };
  if (result.text) texts.set(book, result.text);
  return book;
}
