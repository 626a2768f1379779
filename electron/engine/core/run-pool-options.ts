import type { Strategy } from '../../../shared/strategy';
import type { ErrorContext } from '../../../shared/errors';
import type { AutoWorkersDecision } from '../../../shared/events';
import type { AutoWorkersController } from './auto-workers';
import type { FanoutError } from './fanout-error';
import type { JobFatalCheck } from './job-fatal';
import type { JobTelemetry } from './job-telemetry';
import type { PauseGate } from './pause-gate';
import type { WorkerContext } from './worker-context';

// The pool's contract (what a caller gives runPool and gets back), apart from its loop.

/**
 * Per-item outcome of a batch, in the batch's order: null = done, an error = that item failed
 * (a retryable one is retried alone through `process`).
 */
export type BatchOutcome = Array<FanoutError | null>;

/** A worker's resource (one FTP client, one IMAP connection), processing its items one at a time. */
export interface WorkerSession<I> {
  process(item: I, ctx: WorkerContext): Promise<void>;
  /**
   * Optional: several items in one go (one UID FETCH for several chunks, pipelined requests for
   * several books); used when a strategy hands out batches. Resolving with nothing means every
   * item is done; throwing means the whole batch failed (and is retried as a whole if retryable).
   */
  processBatch?(items: I[], ctx: WorkerContext): Promise<BatchOutcome | void>;
  close(): Promise<void>;
}

export interface RunPoolOptions<I> {
  items: AsyncIterable<I> | Iterable<I>;
  /** Pool items in the input, when known up front (adaptive batching uses it). */
  total?: number;
  workers: number;
  strategy: Strategy;
  signal: AbortSignal;
  telemetry: JobTelemetry;
  pause?: PauseGate;
  /** Attempts per item for retryable errors (1 = no retry). */
  attempts: number;
  /** First backoff, ms (doubles per attempt, with full jitter). */
  baseDelayMs?: number;
  label(item: I): string;
  /** User-visible items in one pool item (messages in a UID chunk); 1 by default. */
  units?(item: I): number;
  /** Error context of an item (ebook, folder...). */
  context?(item: I): ErrorContext;
  /** Opens a worker's session; called when the worker takes its first item. */
  openWorker(ctx: WorkerContext): Promise<WorkerSession<I>>;
  onItemFailed?(item: I, err: FanoutError): void;
  onWarning?(message: string, err?: FanoutError): void;
  /**
   * Errors that stop the whole pool at once (see job-fatal.ts): not retried, not recorded as the
   * item's failure; the items in flight are stopped, untried ones stay pending, runPool rejects with it.
   */
  isJobFatal?: JobFatalCheck;
  /**
   * `--workers auto` (queue and adaptive only): `workers` is then the most; the pool holds the
   * controller's target, checked every `tickMs` (default 50), and tells it of server refusals and
   * of the job's bandwidth cap (`rateCap`, read on each tick: it may change while the job runs).
   */
  auto?: { controller: AutoWorkersController; onDecision(d: AutoWorkersDecision): void; tickMs?: number; rateCap?: () => number | null };
  /** Longest a refused worker waits for another session to be served before it knocks again, ms (default 10 s). */
  refusalWaitMs?: number;
}

export interface PoolResult {
  /** Pool items read from the input. */
  seen: number;
  cancelled: boolean;
  /** Workers retired because the server refused more connections. */
  retired: number;
  /**
   * The server refused a connection (a worker retired): what it said first, and the most sessions
   * that worked at once in the job (what it accepts; at least 1). Null when nothing was refused.
   */
  refused: { accepted: number; error: FanoutError | null } | null;
  /** Most sessions that had finished an item, at once (connections the server surely held together). */
  peakWorking: number;
}
