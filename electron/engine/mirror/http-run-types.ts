import type { IncomingHttpHeaders } from 'node:http';
import type { Client } from 'undici';
import { FanoutError, sizeMismatch } from '../core/fanout-error';
import type { WorkerContext } from '../core/worker-context';
import type { ErrorContext } from '../../../shared/errors';
import type { BookSink } from './book-sink';
import type { HttpResponse, StallRule } from './http-response';
import type { Candidate } from './mirror-layout';
import { isParserError } from '../net/not-the-protocol';
import { mapSocketError } from './net-errors';
import type { FetchedBook, HeldBook } from './types';
import type { RawParts } from './raw-parts';

/** The shapes an HttpRun (http-pipeline.ts) works with, and how a lost connection is reported. */

/** What a run needs from its session: the mirror, one undici Client per origin, counters. */
export interface HttpRunHost {
  /** Mirror root URL without trailing slash. */
  readonly base: string;
  readonly host: string;
  /**
   * Requests in flight at most now: pipelined on the connection when the server keeps connections
   * alive, each on a connection of its own when it closes after every response, else 1.
   */
  readonly depth: number;
  /** Requests are pipelined on one kept-alive connection (the server proved it keeps connections alive). */
  readonly pipelined: boolean;
  /**
   * A connection of its own for one request, when the server closes after every response (null
   * otherwise): requests then overlap on parallel connections instead of a pipeline.
   */
  oneShot(origin: string): Client | null;
  /** Cuts a body that makes no progress. */
  readonly stall: StallRule;
  client(origin: string): Client;
  /** Whether a response on `client` with these headers may pause the connection (see http-response.ts). */
  mayPause(client: Client, headers: IncomingHttpHeaders): boolean;
  /** Destroys every connection (fails whatever is queued on them). */
  dropClients(): void;
  /** A request went out; `inFlight` counts the ones sent and not yet answered, this one included. */
  noteRequest(inFlight: number): void;
  noteResponse(): void;
}

export interface HttpRunOptions {
  rawDir: string;
  rawParts?: RawParts;
  ctx: WorkerContext;
  /** Called as each book lands (chained, in landing order); a `HeldBook` only with `deferRawLanding`. */
  onFetched?: (book: FetchedBook | HeldBook) => Promise<void>;
  /**
   * Send `GET <dir>/` right behind each book's `GET N-0.txt`, so that a miss costs one more round
   * trip (the file the index names) instead of two (index, then file). Costs one small response
   * per hit.
   */
  speculateIndex: boolean;
  /** Hand a small text held whole to `onFetched` as bytes, not landed (FetchBooksHandOverOptions). */
  deferRawLanding?: boolean;
  /**
   * A batch (`fetchBooks`): once its first requests are answered, tell the pool the worker may start
   * its next one (`WorkerContext.received`). Not for one book (`fetchBook`: the `queue` and `serial`
   * strategies, and a batch's retries, stay one book at a time).
   */
  overlap?: boolean;
}

export interface Book {
  ebook: number;
  label: string;
  context: ErrorContext;
  all: Candidate[];
  tried: Set<Candidate>;
  /** Candidates still to try once the folder index was read; null until then. */
  rest: Candidate[] | null;
  /** An index request for this book is queued or in flight. */
  indexPending: boolean;
  /** File requests of this book queued or in flight. */
  fileSteps: number;
  /** Its file arrived whole and is being made durable (fsync, rename): no other candidate is tried. */
  landing: boolean;
  result: FetchedBook | HeldBook | FanoutError | null;
}

export type Step =
  | { kind: 'file'; book: Book; cand: Candidate; url: URL; hops: number; round: number; sink: BookSink | null }
  | { kind: 'index'; book: Book; url: URL; hops: number };

export interface Sent {
  step: Step;
  response: Promise<HttpResponse>;
}

/** The connection failed under a request: ends the batch. */
export class ConnectionLost extends Error {
  constructor(
    readonly reason: unknown,
    readonly context: ErrorContext,
  ) {
    super('connection lost');
  }
}

/**
 * Why a connection failed under a request: a body cut short (the server closed mid-body) is
 * SIZE_MISMATCH, with its verdict `short` and counts (`sizeMismatch`) when the caller gives the
 * bytes counted of the Content-Length (`count`; the books' path knows none here); a response undici's
 * parser rejects (HTTPParserError) ends that connection and is retried like a dropped one
 * (CONNECTION_RESET), not an internal error.
 */
export function connectionError(reason: unknown, context: ErrorContext, count?: { received: number; expected: number }): FanoutError {
  const code = (reason as { code?: unknown })?.code;
  const message = (reason as { message?: unknown })?.message;
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    if (count && count.received < count.expected) return sizeMismatch(count.received, count.expected, context, ` (the response was cut short: ${String(message)})`, reason);
    return new FanoutError('SIZE_MISMATCH', `The response was cut short: ${String(message)}`, context, { cause: reason });
  }
  if (isParserError(reason)) {
    return new FanoutError('CONNECTION_RESET', `${context.host ?? 'The server'} sent a response that is not valid HTTP (${String(message)}); the connection was dropped`, context, { cause: reason });
  }
  return mapSocketError(reason, context);
}

/**
 * The pool's "this batch's data is in hand" hook on a worker's context (`WorkerContext.received`,
 * core/worker-context.ts): the worker then takes its next batch while this one finishes.
 */
export function receivedHook(ctx: WorkerContext): (() => void) | undefined {
  return (ctx as WorkerContext & { readonly received?: () => void }).received;
}
