import { FanoutError, toFanoutError } from '../core/fanout-error';
import { RESOURCE_RETRY_DELAYS_MS, retryOnResourceLimit } from '../core/resource-retry';
import type { ScrubInput } from '../scrub/scrub-protocol';
import type { ScrubResult } from '../scrub/scrub-types';

export interface ScrubService {
  scrub(input: ScrubInput, opts?: { signal?: AbortSignal }): Promise<ScrubResult>;
}

export interface ScrubTask {
  ebook: number;
  rawPath: string;
  /** Where the scrubber writes the clean text (atomically, fsynced; the folder's fsync is `finish`'s). */
  cleanPath: string;
  /**
   * The raw text not yet on disk (an HTTP book held whole, HeldBook.heldRaw): the scrubber writes
   * it to `partPath`, fsyncs and renames it to `rawPath` as well (the raw folder's fsync is `finish`'s).
   */
  raw?: { bytes: Uint8Array; partPath: string };
  /** Called with the result (`cleanMtimeMs` set: the clean file is in place), in this stage (the folder's fsync, the manifest line). */
  finish(result: ScrubResult, scrubMs: number): Promise<void>;
  fail(err: FanoutError): Promise<void>;
}

/**
 * Hands downloaded books to the scrubber pool without making the download worker wait for the
 * cleaning: `submit` returns as soon as there is room, and only waits (backpressure) while
 * `maxInFlight` books are being cleaned. Memory is bounded by that number of books.
 */
export class ScrubStage {
  readonly #service: ScrubService;
  readonly #maxInFlight: number;
  readonly #signal: AbortSignal;
  readonly #inFlight = new Set<Promise<void>>();
  #blockedMs = 0;
  #peakInFlight = 0;

  readonly #retryDelaysMs: readonly number[];

  /**
   * `retryDelaysMs`: the pauses before each new try of a scrub that met a limit of this process
   * (OUT_OF_RESOURCES: EMFILE, ENFILE, ENOMEM, EAGAIN); its length is the number of retries.
   */
  constructor(service: ScrubService, opts: { maxInFlight: number; signal: AbortSignal; retryDelaysMs?: readonly number[] }) {
    this.#service = service;
    this.#maxInFlight = Math.max(1, opts.maxInFlight);
    this.#signal = opts.signal;
    this.#retryDelaysMs = opts.retryDelaysMs ?? RESOURCE_RETRY_DELAYS_MS;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * `onWait`: called when the book must wait for room (the lane then shows `waiting to clean`:
   * JobTelemetry.holdLane); the function it returns is called once there is room.
   */
  async submit(task: ScrubTask, onWait?: () => () => void): Promise<void> {
    if (this.#inFlight.size >= this.#maxInFlight) {
      const waitFrom = performance.now();
      const done = onWait?.();
      try {
        while (this.#inFlight.size >= this.#maxInFlight) await Promise.race(this.#inFlight);
      } finally {
        done?.();
      }
      this.#blockedMs += performance.now() - waitFrom;
    }
    const run = this.#run(task).finally(() => this.#inFlight.delete(run));
    this.#inFlight.add(run);
    this.#peakInFlight = Math.max(this.#peakInFlight, this.#inFlight.size);
  }

  /** The bound (null: none), the time callers of `submit` waited for room (summed over callers), the most books in flight at once. */
  stats(): { bound: number | null; blockedMs: number; peakInFlight: number } {
    return { bound: Number.isFinite(this.#maxInFlight) ? this.#maxInFlight : null, blockedMs: this.#blockedMs, peakInFlight: this.#peakInFlight };
  }

  /** Waits for every submitted book to be cleaned and recorded. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  async #run(task: ScrubTask): Promise<void> {
    const started = performance.now();
    try {
      // The scrubber reads the raw file and writes the clean one itself (scrub/scrub-file.ts): no
      // book-sized buffer on this thread, no fs call here for either file (measured in docs/BENCHMARKS.md).
      const result = await this.#scrub(task);
      await task.finish(result, performance.now() - started);
    } catch (raw) {
      const err = raw instanceof FanoutError ? raw : toFanoutError(raw);
      const coded = err.code === 'INTERNAL' ? new FanoutError('SCRUB_FAILED', err.message, { ebook: task.ebook, path: task.rawPath }, { cause: raw }) : err.withContext({ ebook: task.ebook });
      await task.fail(coded).catch(() => {});
    }
  }

  /**
   * One book's scrub, tried again after a pause when it met a limit of this process (the peak of
   * open files is when the scrub threads start, beside every worker's sockets and .part files:
   * measured, 16 FTP workers at nofile 64-72 stopped the job with 0 of 150 done, where one retry
   * after 250 ms finished all 150). Stops (the error handed on: OUT_OF_RESOURCES stops the job)
   * when it persists over every retry, on any other error, on a cancel (the pause ends: ABORTED), or when a held raw text's
   * bytes were moved to a thread already (detached: they cannot be sent again).
   */
  async #scrub(task: ScrubTask): Promise<ScrubResult> {
    const rawLength = task.raw?.bytes.byteLength;
    return retryOnResourceLimit(() => this.#service.scrub({ rawPath: task.rawPath, cleanPath: task.cleanPath, ...(task.raw ? { raw: task.raw } : {}) }, { signal: this.#signal }), {
      signal: this.#signal,
      delaysMs: this.#retryDelaysMs,
      canRetry: () => task.raw?.bytes.byteLength === rawLength,
    });
  }
}
