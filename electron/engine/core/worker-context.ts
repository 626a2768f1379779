import type { WorkerState } from '../../../shared/events';

/**
 * What a worker tells the telemetry sampler. These are plain counter bumps (cheap, no events):
 * the job samples them on a clock and sends frames about 10 times a second.
 */
export interface WorkerProgress {
  /** Enter a state; `item` labels the current item (kept when omitted, cleared by `idle`). */
  setState(state: WorkerState, item?: string | null): void;
  /** Expected bytes of the current item, when known (after SIZE, Content-Length, RFC822.SIZE...). */
  setItemTotal(total: number | null): void;
  /** Bytes received for the current item; adds to the worker's cumulative count too. */
  addBytes(n: number): void;
  /** Forget the current item's byte count (a retry starts it again) without touching the cumulative. */
  resetItemBytes(): void;
  /** Count a retry (the worker state should be `retrying` while backing off). */
  countRetry(): void;
  /**
   * Optional: the job's bandwidth cap (net/bandwidth.ts) on `bytes` just received; a promise when
   * they must wait, null when they may go on. Called before `addBytes`, where bytes reach the disk.
   */
  pace?(bytes: number): Promise<void> | null;
}

/** Handed to every unit of work a worker runs. */
export interface WorkerContext {
  /** Stable lane id, 0-based. */
  readonly workerId: number;
  /** Aborted when the job is cancelled; every await in long work must honour it. */
  readonly signal: AbortSignal;
  readonly progress: WorkerProgress;
}

/** A WorkerProgress that records nothing: for one-off calls (tests, `fanout clean`). */
export const noProgress: WorkerProgress = {
  setState() {},
  setItemTotal() {},
  addBytes() {},
  resetItemBytes() {},
  countRetry() {},
};
