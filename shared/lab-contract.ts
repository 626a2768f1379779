/**
 * The lab's part of the IPC contract (shared/ipc.ts re-exports it): what `lab:run` takes per kind,
 * each kind's measured point, and the events a lab sends. Declared here so ipc.ts stays one screen
 * per domain; validated on arrival by shared/ipc-schemas.ts like every other message.
 */
import type { SerializedError } from './errors';
import type { TimelineSpan } from './events';
import type { GutenbergJobInput, MailJobInput, ScrubExecutor } from './job-spec';
import type { QueuePoint } from './lab/queue-analysis';
import type { StragglerPoint } from './lab/straggler-analysis';
import type { Strategy } from './strategy';

export const LAB_WORKER_COUNTS = [1, 2, 4, 8, 16] as const;

export interface LabRequest {
  /** The job to sample; its selection's `limit` is replaced by `sampleSize`. */
  spec: GutenbergJobInput;
  strategies: Strategy[];
  workerCounts: number[];
  sampleSize: number;
  /** Runs per (strategy, workers) cell; the median wall time is used. */
  repeats: number;
  /** Also compare scrub executors (worker threads vs child processes) at the largest worker count. */
  compareScrubExecutors: boolean;
}

export interface LabPoint {
  strategy: Strategy;
  workers: number;
  scrubExecutor: 'threads' | 'processes';
  /** Wall times of each repeat, ms. */
  wallMs: number[];
  medianMs: number;
  itemsDone: number;
  itemsFailed: number;
  bytes: number;
}

/**
 * The experiments the lab runs (issue 11), each one click in the UI and one `fanout lab <kind>`
 * command, both calling the same engine function: the Gutenberg strategies × workers grid, scrubbing
 * in threads vs child processes, the bound of the download→clean queue, mail strategies × connections,
 * per-item timeouts against a server with a few slow items (stragglers).
 */
export const LAB_KINDS = ['gutenberg', 'scrub', 'queue', 'mail', 'stragglers'] as const;
export type LabKind = (typeof LAB_KINDS)[number];

/** The stragglers lab's per-item timeouts as the UI offers them, ms (null: none). */
export const LAB_STRAGGLER_TIMEOUTS = [null, 500, 1000, 2000, 5000, 10_000] as const;

/** The queue lab's bounds as the UI offers them (null: unbounded). */
export const LAB_QUEUE_BOUNDS = [1, 2, 4, 8, 16, 32, 64, null] as const;

/** `fanout lab scrub`: the first `sampleSize` .txt files under `input`, cleaned per executor × workers. */
export interface ScrubLabInput {
  kind: 'scrub';
  /** Absolute path of a folder of raw books (.txt, searched recursively). */
  input: string;
  sampleSize: number;
  executors: ScrubExecutor[];
  workerCounts: number[];
  repeats: number;
}

/** `fanout lab queue`: the sample run once per bound; `spec.workers` and `spec.strategy` are the job's. */
export interface QueueLabInput {
  kind: 'queue';
  spec: GutenbergJobInput;
  /** Books between download and clean, at most; null: unbounded. */
  bounds: Array<number | null>;
  sampleSize: number;
  repeats: number;
}

/** `fanout lab mail`: the account archived under each strategy × connections, each into a fresh folder. */
export interface MailLabInput {
  kind: 'mail';
  spec: MailJobInput;
  strategies: Strategy[];
  connectionCounts: number[];
  repeats: number;
}

/** `fanout lab stragglers`: the sample run once per per-item timeout; `spec.workers`/`strategy` are the job's (one request per book: not adaptive). */
export interface StragglerLabInput {
  kind: 'stragglers';
  spec: GutenbergJobInput;
  /** Per-item timeouts, ms; null: the run without one. */
  timeouts: Array<number | null>;
  sampleSize: number;
  repeats: number;
}

/** What `lab:run` takes; a request without `kind` is the Gutenberg lab (the contract before the other kinds). */
export type GutenbergLabRunInput = { kind: 'gutenberg' } & LabRequest;
export type LabRunInput = GutenbergLabRunInput | ScrubLabInput | QueueLabInput | MailLabInput | StragglerLabInput;

/** Each lab kind's measured point. */
export interface LabPointOf {
  gutenberg: LabPoint;
  scrub: LabPoint;
  mail: LabPoint;
  queue: QueuePoint;
  stragglers: StragglerPoint;
}
export type AnyLabPoint = LabPointOf[LabKind];

/** What the analysis and the files of a lab need beyond its points (the CLI knows them; the UI gets them here). */
export interface LabContext {
  /** The chart's title in the SVG, as `fanout lab <kind>` writes it. */
  title: string;
  /** The host's cores (the scrub lab's notes place speedups against them). */
  cores: number;
  /** The Gutenberg lab's bandwidth cap, bytes per second (every cell ran under it), or null. */
  rateCap: number | null;
  /** The Gutenberg lab's connections per server (`--max-per-host`; every cell ran under it), or null/absent. */
  maxPerHost?: number | null;
  /** The Gutenberg, queue and stragglers labs' mirror URL (every cell fetched from it), or absent. */
  mirror?: string;
}

/**
 * One cell's worker lanes over time (the mail lab's timeline: the fastest and the slowest cell), as
 * the live view's spans: ms since the cell's job started, one lane per connection.
 */
export interface LabTimeline {
  /** Which cell: 'fastest' or 'slowest' of the grid. */
  role: 'fastest' | 'slowest';
  strategy: Strategy;
  workers: number;
  wallMs: number;
  spans: TimelineSpan[];
  /** Spans left out past the bound kept per cell (the earliest are kept). */
  droppedSpans: number;
}

/** A lab's events; `P` is its kind's point (the Gutenberg runner emits `LabEventOf<LabPoint>`). */
export type LabEventOf<P> =
  | { kind: 'lab:started'; labId: string; cells: number; lab: LabKind; context: LabContext }
  | { kind: 'lab:point'; labId: string; point: P; done: number; cells: number }
  | {
      kind: 'lab:finished';
      labId: string;
      status: 'succeeded' | 'failed' | 'cancelled';
      points: P[];
      timelines?: LabTimeline[];
      error?: SerializedError;
      /** The lab's kind and context (absent when its plan could not be built): a page that did not see it start can show its results. */
      lab?: LabKind;
      context?: LabContext;
    };
export type LabEvent = LabEventOf<AnyLabPoint>;

/** A lab's end as its `lab:finished` event says it. */
export type LabFinished = Extract<LabEvent, { kind: 'lab:finished' }>;

/** A lab the host runs (`lab:active`): its kind, cells and cells done (0 cells while its plan is being built). */
export interface ActiveLab {
  labId: string;
  lab: LabKind;
  cells: number;
  done: number;
  startedAt: string;
  /**
   * Once its plan is built (its `lab:started`): its context and the points measured so far, so a
   * page reloaded (or opened) mid-lab takes it up whole, as if it had seen it start.
   */
  context?: LabContext;
  points?: AnyLabPoint[];
}

/**
 * `lab:active`: the labs running, and how the last few ended (their `lab:finished`, bounded), so a
 * page reloaded or reconnected after a lab ended learns its end (or, when the host no longer knows
 * the lab, that it was restarted).
 */
export interface LabActiveState {
  running: ActiveLab[];
  finished: LabFinished[];
}
