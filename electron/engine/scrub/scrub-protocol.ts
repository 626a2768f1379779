import type { ScrubResult } from './scrub-types';

/** What a thread worker receives: the raw file bytes (moved, not copied). */
export interface ScrubTask {
  bytes: Uint8Array;
}

/** What a worker (thread or child process) sends back for one book. */
export interface WorkerReply {
  result: ScrubResult;
  /** Time spent inside `scrubBook`, ms (excludes queueing and transfer). */
  runMs: number;
}

/** Parent → child process. */
export type ChildRequest = { kind: 'scrub'; id: number; bytes: Uint8Array };

/** Child process → parent. */
export type ChildReply =
  | { kind: 'done'; id: number; reply: WorkerReply }
  | { kind: 'error'; id: number; message: string };
