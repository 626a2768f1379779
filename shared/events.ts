import type { SerializedError } from './errors';
import type { Strategy } from './strategy';

/**
 * What a worker is doing right now. `idle` is waiting for an item; `stopped` means it has exited;
 * `waiting` is holding back for the server (its Retry-After, the job's wait between requests, or the
 * grace while the mirror serves nothing). `waiting to clean`: its book is downloaded and waits for
 * room in the scrub stage (cleaning is the bottleneck, not this lane's connection; not a straggler).
 * `writing`: a mail lane's messages are received and its FETCH waits for the job's writes in flight
 * (the disk is the bottleneck; not a straggler either).
 * The states are shown as they are written (lanes, legend, CLI).
 */
export const WORKER_STATES = [
  'connecting',
  'listing',
  'downloading',
  'waiting to clean',
  'cleaning',
  'writing',
  'idle',
  'paused',
  'retrying',
  'waiting',
  'failed',
  'stopped',
] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export type JobKind = 'gutenberg' | 'mail' | 'scrub';

/** One worker's sampled state. Counters are cumulative since the job started. */
export interface WorkerSnapshot {
  /** Stable lane id, 0-based; a reconnecting worker keeps its lane. */
  id: number;
  state: WorkerState;
  /** Human label of the current item ("1342 Pride and Prejudice", "INBOX 1-500"), or null when idle. */
  item: string | null;
  /** Bytes of the current item received so far. */
  itemBytes: number;
  /** Expected bytes of the current item, or null when unknown. */
  itemTotal: number | null;
  /** Bytes received by this worker since the job started. */
  bytesDone: number;
  /** Items finished (successfully) by this worker. */
  itemsDone: number;
  /** Items this worker gave up on. */
  itemsFailed: number;
  /** Retries this worker has made. */
  retries: number;
  /** Milliseconds this worker spent not idle, since the job started. */
  busyMs: number;
}

/** A closed span on a worker's timeline: one phase of one item. Times are ms since the job started. */
export interface TimelineSpan {
  worker: number;
  state: WorkerState;
  item: string | null;
  start: number;
  end: number;
}

/**
 * One telemetry frame, sent about 10 times a second (never per chunk). Counters are cumulative so a
 * dropped frame loses nothing; `spans` holds the timeline spans closed since the previous frame.
 */
export interface TelemetryFrame {
  seq: number;
  /** ms since the job started. */
  t: number;
  itemsTotal: number | null;
  itemsDone: number;
  itemsFailed: number;
  itemsSkipped: number;
  bytesDone: number;
  /** Bytes produced by the scrubber (clean text), cumulative. */
  cleanBytes: number;
  /** Items cleaned by the scrubber, cumulative. */
  itemsCleaned: number;
  /** Bytes per second over the last second. */
  bytesPerSec: number;
  /** Items per second over the last second. */
  itemsPerSec: number;
  /** Current number of active workers (may shrink when a server refuses connections). */
  activeWorkers: number;
  /** The job's bandwidth cap in force, bytes per second (null or absent: none). */
  rateCap?: number | null;
  paused: boolean;
  workers: WorkerSnapshot[];
  spans: TimelineSpan[];
}

export interface ItemFailure {
  item: string;
  error: SerializedError;
}

/**
 * A mail folder's account of a run: the messages the server held when it was planned, and where
 * each went (archived before, fetched now, vanished meanwhile). Complete when they add up.
 */
export interface MailFolderTally {
  folder: string;
  onServer: number;
  /** Already in the archive before this run (including files recovered from a killed run and messages linked to an older generation). */
  archivedBefore: number;
  /** Planned for fetching in this run. */
  toFetch: number;
  fetched: number;
  /** Expunged on the server between planning and fetching. */
  vanished: number;
}

/** Printed by the CLI, stored in history, shown at the end of a run. */
export interface JobSummary {
  jobId: string;
  kind: JobKind;
  strategy: Strategy;
  workers: number;
  status: 'succeeded' | 'failed' | 'cancelled';
  itemsTotal: number;
  itemsDone: number;
  itemsFailed: number;
  itemsSkipped: number;
  bytes: number;
  wallMs: number;
  /** Bytes per second over the whole run. */
  throughput: number;
  /** Per-worker busy share of the wall time, 0..1. */
  workerBusy: number[];
  failures: ItemFailure[];
  outDir: string;
  startedAt: string;
  /** Mail jobs: one entry per folder planned or found up to date. */
  mailFolders?: MailFolderTally[];
  /**
   * Gutenberg jobs: the mirror URL fetched from, its password redacted (redactUrl). The lab places a past run on its speedup
   * curves only when it came from the lab's own mirror (another link and server measure those, not workers).
   */
  mirror?: string;
  /** Gutenberg jobs: the download→clean bound (null: none), the time downloaders waited for room (summed), the most books in it at once. */
  scrubStage?: { bound: number | null; blockedMs: number; peakInFlight: number };
}

/** One `--workers auto` decision: at `atMs`, N becomes `workers`, having measured `throughput` (bytes/s). */
export interface AutoWorkersDecision {
  atMs: number;
  workers: number;
  throughput: number;
  action: 'start' | 'add' | 'hold' | 'back-off';
  why: string;
}

/** Every event a running job emits; consumers switch on `kind` exhaustively. */
export type JobEvent =
  | { kind: 'job:started'; jobId: string; jobKind: JobKind; strategy: Strategy; workers: number; itemsTotal: number | null; outDir: string }
  | { kind: 'job:frame'; jobId: string; frame: TelemetryFrame }
  | { kind: 'job:item-failed'; jobId: string; failure: ItemFailure }
  | { kind: 'job:warning'; jobId: string; message: string; error?: SerializedError }
  | { kind: 'job:workers'; jobId: string; decision: AutoWorkersDecision }
  | { kind: 'job:finished'; jobId: string; summary: JobSummary };
