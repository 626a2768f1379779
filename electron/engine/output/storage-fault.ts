/**
 * Storage faults of an output folder as typed, job-level errors. A full disk or a folder that
 * cannot be written is not a problem of one book or one message: retrying or going on with the
 * next item cannot help, so the job stops (see `FatalStop`) and says what to do.
 */
import { statfs } from 'node:fs/promises';
import type { ErrorContext } from '../../../shared/errors';
import { formatBytes } from '../../../shared/format-bytes';
import { FanoutError } from '../core/fanout-error';

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);
const NOT_WRITABLE_CODES = new Set(['EROFS', 'EACCES', 'EPERM']);

/** The errno code (ENOSPC...) of an error or of one of its causes (a WRITE_FAILED wraps the Node error). */
export function errnoCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

/** True for a job-fatal storage error (already mapped by `storageFault`). */
export function isStorageFault(err: unknown): err is FanoutError {
  return err instanceof FanoutError && (err.code === 'DISK_FULL' || err.code === 'OUTPUT_NOT_WRITABLE');
}

/**
 * The DISK_FULL / OUTPUT_NOT_WRITABLE error for `err`, or null when `err` is not a storage fault
 * (a network error, a bad archive...). `folder` is the output folder named in the message.
 */
export function storageFault(err: unknown, folder: string, context: ErrorContext = {}): FanoutError | null {
  if (isStorageFault(err)) return err;
  const code = errnoCode(err);
  if (!code) return null;
  const ctx = { ...(err instanceof FanoutError ? err.context : {}), ...context, folder };
  if (DISK_FULL_CODES.has(code)) {
    return new FanoutError('DISK_FULL', `The disk holding ${folder} is full (${code}): the job stopped; free some space and run it again, finished items are kept`, ctx, { cause: err });
  }
  if (NOT_WRITABLE_CODES.has(code)) {
    const why = code === 'EROFS' ? 'it is on a read-only file system' : 'permission denied';
    return new FanoutError('OUTPUT_NOT_WRITABLE', `Cannot write to ${folder}: ${why} (${code}). Choose another output folder or fix its permissions`, ctx, { cause: err });
  }
  return null;
}

/** Free bytes for this user on the file system of `dir`, or null when unknown. */
export async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** "about 12.3 MB more" from what is still to write and what is free. */
export function spaceNeededText(remainingBytes: number | null, free: number | null): string {
  if (remainingBytes === null || remainingBytes <= 0) return 'how much more space the rest needs is not known yet';
  const more = Math.max(0, remainingBytes - (free ?? 0));
  return `the rest needs about ${formatBytes(remainingBytes)} (${formatBytes(more)} more than is free now)`;
}

/**
 * Stops a job on its first fatal error: `signal` aborts (pass it to the pool, so untried items
 * are never taken and stay pending), `error` is what the job then throws. Items that failed only
 * because of the stop are not recorded as failed: they were not tried.
 */
export class FatalStop {
  readonly #controller = new AbortController();
  readonly signal: AbortSignal;
  #error: FanoutError | null = null;

  constructor(parent: AbortSignal) {
    this.signal = AbortSignal.any([parent, this.#controller.signal]);
  }

  get error(): FanoutError | null {
    return this.#error;
  }

  /** Records the first fatal error and stops; later ones are the same fault seen by other workers. */
  trip(err: FanoutError): void {
    if (this.#error) return;
    this.#error = err;
    this.#controller.abort(err);
  }
}
