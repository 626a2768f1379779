import { once } from 'node:events';
import { toFanoutError, type FanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';
import { BookSink, type SinkOptions } from './book-sink';
import { toFetchedBook } from './fetched-book';
import { metaOf, type BatchBook } from './ftp-batch-book';
import { candidates, type Candidate } from './mirror-layout';
import { ftpResumeCandidate } from './resume-check';
import type { FetchBookOptions, FetchedBook } from './types';

/**
 * The FTP paths' book sinks (book-sink.ts): the options every FTP sink is opened with, and the
 * pipelined batch's uses of them: the guessed `N-0.txt`s, a listed book's (its resume offset
 * checked against the listing), and completing the books whose bytes are all in, in order.
 */

/**
 * A sink for `cand` of a book, in `opts.rawDir`; with the job's `RawParts` when given, so `raw/` is
 * created and listed once per job, not `mkdir`ed and a `.part` `stat`ed per book (raw-parts.ts).
 */
export function ftpSinkOptions(opts: FetchBookOptions, cand: Candidate, context: ErrorContext): SinkOptions {
  return { rawDir: opts.rawDir, rawParts: opts.rawParts, remoteName: cand.remoteName, textName: cand.textName, fromZip: cand.fromZip, progress: opts.ctx.progress, context, signal: opts.ctx.signal };
}

/**
 * The listings take a round trip during which the connection would sit idle. So the first books'
 * best form, `N-0.txt` (the most common one), is asked for right behind the STATs: when the
 * listing confirms it, its data starts one round trip earlier; when it does not, the RETR gets a
 * 550 (or, for a file listed without a size, its data is read and dropped) and the book goes the
 * usual way, having cost nothing more. Not for a book with a kept `.part` (its size must be checked
 * before resuming), nor when the sink cannot be opened (the usual path opens it again and reports
 * what is wrong).
 * Opens the guesses' sinks (`book.guess`, `pending`); returns those books, in batch order.
 */
export async function openGuesses(books: BatchBook[], opts: FetchBookOptions): Promise<BatchBook[]> {
  await Promise.all(
    books.map(async (book) => {
      const cand = candidates(book.ebook, 'ftp')[0]!;
      try {
        const sink = await BookSink.open(ftpSinkOptions(opts, cand, book.context));
        if (sink.startAt > 0 || sink.kept) {
          await sink.close();
          return;
        }
        book.guess = { cand, sink, present: null };
        book.guessState = 'pending';
      } catch {
        // The usual path opens the sink again and reports what is wrong.
      }
    }),
  );
  // In batch order (the sinks opened in any order).
  return books.filter((b) => b.guessState === 'pending');
}

/**
 * Opens a listed book's sink (`book.sink`, `book.startAt`). A kept `.part` is never continued here:
 * one that may be of the same remote file (size and an MDTM recorded, ftpResumeCandidate) is handed
 * to the one-book path (`resume`: the caller closes the sink), which asks MDTM before REST (the
 * listing's date has minute resolution); any other is discarded and the file fetched whole. `whole`:
 * the file is empty, its input already ended; `givenUp`: the book got its result meanwhile (the
 * caller closes the sink). Rejects with the sink's error.
 */
export async function openBookSink(book: BatchBook, cand: Candidate, opts: FetchBookOptions): Promise<'ready' | 'whole' | 'givenUp' | 'resume'> {
  const sink = await BookSink.open(ftpSinkOptions(opts, cand, book.context));
  book.sink = sink;
  if (book.result) return 'givenUp';
  if (sink.startAt > 0 && ftpResumeCandidate(sink.startAt, sink.kept, book.size) === null) return 'resume';
  if (sink.startAt > 0) await sink.discard();
  if (book.result) return 'givenUp';
  book.startAt = sink.startAt;
  if (book.startAt !== book.size) return 'ready';
  sink.begin(book.startAt === 0 ? metaOf(book) : undefined);
  sink.input.end();
  await once(sink.input, 'finish');
  return 'whole';
}

/**
 * Completes the books whose bytes are all in (each `.part` renamed into place), one after the
 * other in the order their data ended, and hands each to `onFetched` (calls chained; a rejection
 * becomes that book's result). A book that cannot be completed gets the error.
 */
export class BookLandings {
  private chain: Promise<void> = Promise.resolve();
  private deliveries: Promise<void> = Promise.resolve();

  constructor(
    private readonly baseUrl: string,
    private readonly onFetched: (book: FetchedBook) => Promise<void>,
    private readonly settle: (book: BatchBook, result: FetchedBook | FanoutError) => void,
  ) {}

  /** The book's bytes are all in: it is `finishing`, and lands after the books before it. */
  land(book: BatchBook): Promise<void> {
    book.phase = 'finishing';
    this.chain = this.chain.then(() => this.landOne(book));
    return this.chain;
  }

  /** Settles once `onFetched` ran for every book landed so far. */
  get delivered(): Promise<void> {
    return this.deliveries;
  }

  private async landOne(book: BatchBook): Promise<void> {
    let fetched: FetchedBook;
    try {
      const sink = book.sink!;
      const transferred = sink.received;
      const r = await sink.finish();
      fetched = toFetchedBook(book.ebook, `${this.baseUrl}${book.remotePath}`, book.cand!, r, transferred, book.startAt);
    } catch (e) {
      this.settle(book, toFanoutError(e, book.context));
      return;
    }
    const onFetched = this.onFetched;
    this.deliveries = this.deliveries.then(() =>
      onFetched(fetched).catch((e: unknown) => {
        book.result = toFanoutError(e, book.context);
      }),
    );
    this.settle(book, fetched);
  }
}
