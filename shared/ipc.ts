/**
 * The one IPC contract between the UI and the engine host (Electron main or the web host).
 *
 * - `Commands`: request → Promise<response>, named `domain:verb`. Every payload has a zod schema in
 *   `shared/ipc-schemas.ts` and is validated on the receiving side before it reaches the engine.
 * - `Events`: host → UI pushes. Job telemetry arrives as batched `job:frame` events (≤ ~10/s).
 * - `FanoutApi`: the narrow, named API the renderer sees (window.fanout in Electron, a WebSocket
 *   client in the browser). Each method is bound to one fixed channel: there is no generic invoke.
 */
import type { SerializedError } from './errors';
import type { JobEvent, JobSummary, TelemetryFrame } from './events';
import type { InputProblem } from './input-checks';
import type { GutenbergJobInput, MailAccount, MailJobInput } from './job-spec';
import type { Strategy } from './strategy';
import type { VerifyReport } from './verify-report';
import type { LabActiveState, LabEvent, LabRunInput } from './lab-contract';

// ---------------------------------------------------------------------------------------------
// Catalog

/** One catalog row as the table shows it; multi-valued fields are joined with "; ". */
export interface CatalogRow {
  ebook: number;
  type: string;
  issued: string;
  title: string;
  authors: string;
  languages: string;
  subjects: string;
}

export interface CatalogInfo {
  /** Opaque handle of the loaded catalog, used by `catalog:search`. */
  catalogId: string;
  /** Path of the catalog file on the host (what a job spec's `catalog` field takes). */
  path: string;
  rows: number;
  /** Rows the reader skipped as malformed. */
  badRows: number;
  loadMs: number;
}

/** Case-insensitive substring filters; `text` matches author, title, language or subject. */
export interface CatalogQuery {
  text?: string;
  author?: string;
  title?: string;
  language?: string;
  subject?: string;
}

/** A catalog downloaded from a mirror and loaded (`catalog:download`). */
export interface DownloadedCatalogInfo extends CatalogInfo {
  /** The catalog's URL on the mirror. */
  url: string;
  /** Bytes of the catalog file written. */
  downloadedBytes: number;
  downloadMs: number;
}

/** Progress of `catalog:download`: bytes from the network, then the load into the table. */
export interface CatalogProgress {
  kind: 'catalog:progress';
  phase: 'downloading' | 'loading';
  url: string;
  /** Bytes received so far (compressed bytes when the mirror sends gzip). */
  bytes: number;
  /** Expected bytes, or null when the mirror does not say. */
  total: number | null;
}

/** How a `catalog:download` ended, sent to every page (a page reloaded mid-download did not ask for it). */
export type CatalogFinished =
  | { kind: 'catalog:finished'; mirror: string; ok: true; info: DownloadedCatalogInfo }
  | { kind: 'catalog:finished'; mirror: string; ok: false; error: SerializedError };

export type CatalogEvent = CatalogProgress | CatalogFinished;

/** `catalog:download-state`: the download running (its mirror and latest progress), and how the last one ended. */
export interface CatalogDownloadState {
  running: ({ mirror: string } & Omit<CatalogProgress, 'kind'>) | null;
  last: CatalogFinished | null;
}

export interface CatalogPage {
  catalogId: string;
  /** Rows matching the query (the virtual table's length). */
  total: number;
  offset: number;
  rows: CatalogRow[];
}

// ---------------------------------------------------------------------------------------------
// Jobs, history (the lab: shared/lab-contract.ts, re-exported below)

export type JobStartInput = GutenbergJobInput | MailJobInput;

/** `job:check`'s answer: what would refuse the job (each under its field in the form), and what is only worth saying. */
export interface JobCheck {
  problems: InputProblem[];
  warnings: InputProblem[];
  /** Books the job would select, when the catalog could be read. */
  selected?: number;
}

export interface ActiveJob {
  jobId: string;
  kind: 'gutenberg' | 'mail';
  paused: boolean;
  startedAt: string;
  lastFrame: TelemetryFrame | null;
  /** The job's strategy, workers (connections for mail) and output folder, for a page that did not start it (absent from older hosts). */
  strategy?: Strategy;
  workers?: number;
  outDir?: string;
}

/** How a `verify:run` ended: its report, or its error. */
export type VerifyEnd = { jobId: string; report: VerifyReport } | { jobId: string; error: SerializedError };

/** `verify:state`: the runs being verified, and the last verifies' ends. */
export interface VerifyActivity {
  running: Array<{ jobId: string; startedAt: string }>;
  finished: VerifyEnd[];
}

export interface HistoryEntry {
  /** The run's summary; its `failures` are the first 10 only (the recording's summary has them all). */
  summary: JobSummary;
  /** True when a recording of the run's frames exists (openable in the live view). */
  hasRecording: boolean;
}

/** A past run's frames, downsampled, for replay in the live view. */
export interface RunRecording {
  jobId: string;
  frames: TelemetryFrame[];
  summary: JobSummary | null;
}

/**
 * What `history:get` answers: frames [from, from + frames.length) of the recording's totalFrames.
 * The UI asks a page at a time: a long run's recording is ~6 MB, and one message of that size is
 * one long task in the page (decoding and parsing it).
 */
export interface RunRecordingPage extends RunRecording {
  from: number;
  totalFrames: number;
  /** On the page that ends the recording only (null on the others): it may carry 1,000 failures. */
  summary: JobSummary | null;
}

/** Frames per `history:get` page the UI asks for (~5 KB a frame at the recorder's caps). */
export const RECORDING_PAGE_FRAMES = 100;
/** The most frames one `history:get` answers. */
export const MAX_RECORDING_PAGE_FRAMES = 2000;

export * from './lab-contract';

// ---------------------------------------------------------------------------------------------
// Mail

export interface MailFolderInfo {
  path: string;
  name: string;
  delimiter: string;
  messages: number;
  specialUse?: string;
  /** False for a container the server lists but cannot open (\Noselect, \NonExistent): shown, never archived. */
  selectable: boolean;
  /** The parent's path as the server names it, or null at the top (absent from older hosts). */
  parent?: string | null;
}

export interface MailTestResult {
  ok: boolean;
  /** Server greeting / capabilities summary, or the error. */
  message: string;
  error?: SerializedError;
}

// ---------------------------------------------------------------------------------------------
// App

export interface Settings {
  mirror: string;
  outDir: string;
  workers: number;
  strategy: Strategy;
  lastCatalog: string;
  mail: { host: string; port?: number; user: string; tls: 'implicit' | 'starttls' | 'none'; rememberPassword: boolean };
}

export interface AppInfo {
  host: 'electron' | 'web';
  version: string;
  /** A sensible default output folder on the host. */
  defaultOutDir: string;
  /** Whether the host can show native dialogs (`dialog:pick-folder`). */
  canPickFolder: boolean;
  /** Whether the mail engine is available in this build. */
  mailAvailable: boolean;
  /** Whether passwords can be remembered (Electron safeStorage). */
  canStoreSecrets: boolean;
  /**
   * Files of the host's data folder that could not be read, each a DATA_DAMAGED error naming the
   * file (a damaged settings.json, or the Electron app's saved passwords: why, and that the file is
   * kept and set aside at the next save, or where it was set aside), for the page to show; absent
   * when none (and from older hosts).
   */
  dataNotices?: SerializedError[];
}

// ---------------------------------------------------------------------------------------------
// The contract

export interface Commands {
  'app:info': (req: Record<string, never>) => Promise<AppInfo>;
  'settings:get': (req: Record<string, never>) => Promise<Settings>;
  'settings:set': (req: Partial<Settings>) => Promise<Settings>;
  /**
   * Refused with BAD_INPUT, naming every problem, when `job:check` would find any; with BUSY while a
   * job or a lab runs (one at a time, whichever page started it).
   */
  'job:start': (req: { spec: JobStartInput }) => Promise<{ jobId: string }>;
  /**
   * Checks a job before it starts, as the CLI does: the spec's fields, then the files and folders
   * (catalog readable and a catalog, selection not empty, output folder writable, CA file). Writes nothing.
   */
  'job:check': (req: { spec: JobStartInput }) => Promise<JobCheck>;
  'job:pause': (req: { jobId: string }) => Promise<void>;
  'job:resume': (req: { jobId: string }) => Promise<void>;
  /** Changes a running Gutenberg job's bandwidth cap (bytes per second, null: none), felt within a second. */
  'job:set-rate': (req: { jobId: string; bytesPerSecond: number | null }) => Promise<void>;
  'job:cancel': (req: { jobId: string }) => Promise<void>;
  'job:active': (req: Record<string, never>) => Promise<ActiveJob[]>;
  /**
   * A page of a running job's recording so far (as `history:get` pages a past run's), or null when
   * no such job runs: a page that takes the job up mid-way draws its timeline and charts from the start.
   */
  'job:recording': (req: { jobId: string; from?: number; count?: number }) => Promise<RunRecordingPage | null>;
  'catalog:load': (req: { path: string }) => Promise<CatalogInfo>;
  /**
   * Downloads the official catalog (`cache/epub/feeds/pg_catalog.csv`) from a mirror into the data
   * dir (progress as `catalog:event`), then loads it. One download at a time.
   */
  'catalog:download': (req: { mirror: string }) => Promise<DownloadedCatalogInfo>;
  /** Cancels the running catalog download (no-op when none runs). */
  'catalog:cancel-download': (req: Record<string, never>) => Promise<void>;
  /** The catalog download running, and how the last one ended (a page loaded or reconnected mid-download). */
  'catalog:download-state': (req: Record<string, never>) => Promise<CatalogDownloadState>;
  'catalog:search': (req: { catalogId: string; query: CatalogQuery; offset: number; limit: number }) => Promise<CatalogPage>;
  /** Ebook numbers of every row matching the query ("select all matching"). */
  'catalog:ids': (req: { catalogId: string; query: CatalogQuery }) => Promise<number[]>;
  'history:list': (req: Record<string, never>) => Promise<HistoryEntry[]>;
  /** A page of a past run's recording (frames from `from`, default 0; at most `count`, default and cap MAX_RECORDING_PAGE_FRAMES), or null. */
  'history:get': (req: { jobId: string; from?: number; count?: number }) => Promise<RunRecordingPage | null>;
  /** Refused with BUSY while a job or a lab runs (its timings would hold the other's traffic and CPU). */
  'lab:run': (req: LabRunInput) => Promise<{ labId: string }>;
  'lab:cancel': (req: { labId: string }) => Promise<void>;
  /** The labs running and how the last ones ended (page load, reconnect). */
  'lab:active': (req: Record<string, never>) => Promise<LabActiveState>;
  'mail:test': (req: { account: MailAccount }) => Promise<MailTestResult>;
  'mail:folders': (req: { account: MailAccount }) => Promise<MailFolderInfo[]>;
  /** Remember a mail password (Electron: encrypted with safeStorage; unavailable in the web host). */
  'secrets:save-mail-password': (req: { host: string; user: string; password: string }) => Promise<void>;
  /** Forgets a remembered mail password (no-op when none is stored, or in the web host). */
  'secrets:forget-mail-password': (req: { host: string; user: string }) => Promise<void>;
  /** A remembered mail password, or null. */
  'secrets:load-mail-password': (req: { host: string; user: string }) => Promise<string | null>;
  'dialog:pick-folder': (req: { title?: string; defaultPath?: string }) => Promise<string | null>;
  /** Opens the output folder of a job the host knows (running or in history); any other path is refused. */
  'shell:open-path': (req: { path: string }) => Promise<void>;
  /**
   * Re-checks a past run's output against its own records (`fanout verify` without the server): a
   * Gutenberg corpus against its manifest, a mail archive against its indexes. Refused with BUSY
   * while a job writes into that folder or a lab runs; while it runs, a job into that folder and a
   * lab are refused the same way.
   */
  'verify:run': (req: { jobId: string }) => Promise<VerifyReport>;
  /**
   * The verifies running and the last 4 ends (page load, reconnect). `verify:run` of a run being
   * verified answers that verify's report (a reloaded page re-attaches by asking again).
   */
  'verify:state': (req: Record<string, never>) => Promise<VerifyActivity>;
}

export interface Events {
  'job:event': JobEvent;
  'lab:event': LabEvent;
  'catalog:event': CatalogEvent;
}

export type CommandName = keyof Commands;
export type EventName = keyof Events;
export type CommandRequest<C extends CommandName> = Parameters<Commands[C]>[0];
export type CommandResponse<C extends CommandName> = Awaited<ReturnType<Commands[C]>>;

/** The narrow API's method names, each bound to one channel. */
export const API_METHODS = {
  appInfo: 'app:info',
  getSettings: 'settings:get',
  setSettings: 'settings:set',
  startJob: 'job:start',
  checkJob: 'job:check',
  pauseJob: 'job:pause',
  resumeJob: 'job:resume',
  setJobRate: 'job:set-rate',
  cancelJob: 'job:cancel',
  activeJobs: 'job:active',
  jobRecording: 'job:recording',
  loadCatalog: 'catalog:load',
  downloadCatalog: 'catalog:download',
  cancelCatalogDownload: 'catalog:cancel-download',
  catalogDownloadState: 'catalog:download-state',
  searchCatalog: 'catalog:search',
  catalogIds: 'catalog:ids',
  listHistory: 'history:list',
  getRun: 'history:get',
  runLab: 'lab:run',
  cancelLab: 'lab:cancel',
  activeLabs: 'lab:active',
  testMail: 'mail:test',
  mailFolders: 'mail:folders',
  saveMailPassword: 'secrets:save-mail-password',
  loadMailPassword: 'secrets:load-mail-password',
  forgetMailPassword: 'secrets:forget-mail-password',
  pickFolder: 'dialog:pick-folder',
  openPath: 'shell:open-path',
  verifyRun: 'verify:run',
  verifyState: 'verify:state',
} as const satisfies Record<string, CommandName>;

export type ApiMethod = keyof typeof API_METHODS;

export const EVENT_METHODS = {
  onJobEvent: 'job:event',
  onLabEvent: 'lab:event',
  onCatalogEvent: 'catalog:event',
} as const satisfies Record<string, EventName>;

export type FanoutApi = {
  [M in ApiMethod]: (req: CommandRequest<(typeof API_METHODS)[M]>) => Promise<CommandResponse<(typeof API_METHODS)[M]>>;
} & {
  [M in keyof typeof EVENT_METHODS]: (cb: (payload: Events[(typeof EVENT_METHODS)[M]]) => void) => () => void;
};

/**
 * Every command result crosses the boundary as an envelope, so errors keep their stable `code`
 * (Electron's invoke and JSON would otherwise flatten them into a message string).
 */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

// ---------------------------------------------------------------------------------------------
// WebSocket wire format (web host). Validated by `ClientMessageSchema` on the server.

export type ClientMessage = { t: 'call'; id: number; cmd: CommandName; arg: unknown };
export type ServerMessage =
  | { t: 'reply'; id: number; reply: Reply<unknown> }
  | { t: 'event'; name: EventName; payload: Events[EventName] }
  | { t: 'hello'; version: string };

/** The error the UI throws for a failed command; `code` is the stable error code. */
export class FanoutCommandError extends Error {
  override readonly name = 'FanoutCommandError';
  constructor(
    readonly code: SerializedError['code'],
    message: string,
    readonly context: SerializedError['context'] = {},
  ) {
    super(message);
  }
}

export function unwrapReply<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.value;
  throw new FanoutCommandError(reply.error.code, reply.error.message, reply.error.context);
}
