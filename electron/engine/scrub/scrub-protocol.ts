import type { ScrubResult } from './scrub-types';

/**
 * A book the worker reads and writes itself: `rawPath` read, cleaned, the clean text written
 * atomically and fsynced to `cleanPath` (temp, fsync, rename: output/atomic-file.ts; the folder's
 * fsync is the caller's, shared with other books). No book-sized buffer crosses the boundary.
 */
export interface ScrubFileTask {
  rawPath: string;
  cleanPath: string;
  /**
   * The raw text itself, not yet on disk (an HTTP book held in memory whole: mirror/book-sink.ts
   * `takeHeld`): the worker writes it to `partPath` (created or truncated), fsyncs it and renames it
   * to `rawPath` (the folder's fsync is the caller's), hashes it, and cleans these bytes instead of
   * reading the file back. Its buffer is moved to the worker (thread) or copied (process).
   */
  raw?: {
    bytes: Uint8Array;
    partPath: string;
    /**
     * `bytes.buffer` is this task's alone (mirror/held-buffers.ts), whatever part of it `bytes` views:
     * a thread moves it whole and moves it back in `ScrubResult.rawBuffer`.
     */
    lent?: boolean;
  };
}

/** What a pool is given for one book: the bytes, or the files (`ScrubFileTask`). */
export type ScrubInput = Uint8Array | ScrubFileTask;

export function isFileTask(input: ScrubInput): input is ScrubFileTask {
  return !(input instanceof Uint8Array);
}

/** What a thread worker receives: the raw file bytes (moved, not copied), or the files to read and write. */
export type ScrubTask = { bytes: Uint8Array } | { file: ScrubFileTask };

/**
 * What a worker (thread or child process) sends back for one book. A file task's failed file call
 * comes back as `fsError` (an Error's `code` does not survive the message: ENOSPC must still stop
 * the job as a full disk, output/storage-fault.ts), with the path it named (and a rename's `dest`):
 * an ENOENT is the output folder gone only when that path's folder is gone.
 */
export type WorkerReply =
  | { result: ScrubResult; runMs: number }
  | { fsError: { code: string; message: string; path?: string; dest?: string }; runMs: number };


/** Parent → child process. */
export type ChildRequest = { kind: 'scrub'; id: number; bytes: Uint8Array } | { kind: 'scrubFile'; id: number; file: ScrubFileTask };

/** Child process → parent. */
export type ChildReply =
  | { kind: 'done'; id: number; reply: WorkerReply }
  | { kind: 'error'; id: number; message: string };
