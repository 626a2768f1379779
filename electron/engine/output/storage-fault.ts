/**
 * Storage faults of an output folder as typed, job-level errors. A full disk or a folder that
 * cannot be written is not a problem of one book or one message: retrying or going on with the
 * next item cannot help, so the job stops (see `FatalStop`) and says what to do.
 */
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { ErrorContext } from '../../../shared/errors';
import { formatBytes } from '../../../shared/format-bytes';
import { FanoutError, outOfResources } from '../core/fanout-error';
import { isTempName } from './atomic-file';
import { isInside } from './safe-path';

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

/** Calls on a socket: their EPERM/EACCES (a firewall dropping a connect) are the network's, not a folder's. */
const SOCKET_SYSCALLS = new Set(['connect', 'bind', 'listen', 'accept', 'getaddrinfo', 'getnameinfo']);

/** True when the errno in `err`'s cause chain came from a socket call (it names an address, not a path). */
function fromSocket(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, syscall, address } = e as { code?: unknown; syscall?: unknown; address?: unknown };
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return (typeof syscall === 'string' && SOCKET_SYSCALLS.has(syscall)) || typeof address === 'string';
  }
  return false;
}

/** True for a job-fatal storage error (already mapped by `storageFault`). */
/** Errnos of a limit of this process or computer (open files, memory): they stop a job too. */
const STOPPING_RESOURCE_CODES = new Set(['EMFILE', 'ENFILE', 'ENOMEM']);
const RESOURCE_STOP = '. The job stopped; what is done is kept: run it again';

/** An OUT_OF_RESOURCES made here (a job's stop, `detail.jobStop`), met again (as it is, with context added, or said again in other words): returned as it is. */
function isResourceStop(err: unknown): err is FanoutError {
  return err instanceof FanoutError && err.code === 'OUT_OF_RESOURCES' && err.detail.jobStop === true;
}

export function isStorageFault(err: unknown): err is FanoutError {
  return err instanceof FanoutError && (err.code === 'DISK_FULL' || err.code === 'OUTPUT_NOT_WRITABLE');
}

/**
 * The path a Node error names (`path`, else a rename's `dest`), of the error or of one of its
 * causes: the very file or folder the system refused, or undefined.
 */
function errnoPath(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const path = (e as { path?: unknown }).path ?? (e as { dest?: unknown }).dest;
    if (typeof path === 'string' && path !== '') return path;
  }
  return undefined;
}

/**
 * What to fix for a permission fault: the file or folder refused, when it is not `folder` itself.
 * A temp file of ours (atomic-file.ts) or the prepare step's probe is never the user's to fix: its
 * folder is (creating a file there was refused). Null when only `folder` is known.
 */
function refusedPath(err: unknown, folder: string, context: ErrorContext): string | null {
  const named = errnoPath(err) ?? context.file ?? context.path;
  if (!named) return null;
  const name = basename(named);
  const path = isTempName(name) || name.startsWith('.fanout-probe') ? dirname(named) : named;
  return resolve(path) === resolve(folder) ? null : path;
}

/**
 * For a file not found (ENOENT) inside `folder`: the folder itself, or the folder inside it nearest
 * to it, that no longer exists (removed or moved while the job ran: no later write there can
 * succeed, so the job stops rather than failing every remaining item for one cause). Null when the
 * file's own folder is there (a single file gone: the item's own failure) or the path is elsewhere.
 * Looked up only on this error, with a stat per level.
 */
function goneFolder(err: unknown, folder: string): string | null {
  const named = errnoPath(err);
  if (!named || !(isInside(folder, named) || resolve(named) === resolve(folder))) return null;
  if (!existsSync(folder)) return folder;
  let gone: string | null = null;
  for (let dir = dirname(resolve(named)); isInside(folder, dir); dir = dirname(dir)) {
    if (!existsSync(dir)) gone = dir;
  }
  return gone;
}

/**
 * The DISK_FULL / OUTPUT_NOT_WRITABLE error for `err`, or null when `err` is not a storage fault
 * (a network error, a bad archive...). `folder` is the output folder named in the message. A
 * permission fault also names the file or folder refused inside it (a manifest.jsonl or a raw/
 * of another user's in a folder this user owns: 'Cannot write to <folder>' alone sent the user to
 * a folder that was writable), and puts it in the context's `path` when the caller gave none.
 * A file not found because the folder, or a folder inside it, is gone is OUTPUT_NOT_WRITABLE too,
 * naming what is gone (`goneFolder`).
 */
export function storageFault(err: unknown, folder: string, context: ErrorContext = {}): FanoutError | null {
  if (isStorageFault(err) || isResourceStop(err)) return err;
  const code = errnoCode(err);
  if (!code) return null;
  const ctx: ErrorContext = { ...(err instanceof FanoutError ? err.context : {}), ...context, folder };
  if (STOPPING_RESOURCE_CODES.has(code)) {
    // A limit of this process or computer, whatever call met it (a socket's connect, a file's open,
    // a scrub thread's module load): the next item meets it too. Measured (16 workers, nofile 50-70):
    // books failed for good (WRITE_FAILED, SCRUB_FAILED, INTERNAL), or the manifest line of a whole
    // book not written. Stopped instead, with the limit and what to do; untried items stay pending.
    const fault = outOfResources(err, ctx);
    if (fault) {
      return new FanoutError('OUT_OF_RESOURCES', `${fault.message}${RESOURCE_STOP}`, ctx, { cause: err, detail: { jobStop: true } });
    }
  }
  if (fromSocket(err)) return null;
  if (DISK_FULL_CODES.has(code)) {
    return new FanoutError('DISK_FULL', `The disk holding ${folder} is full (${code}): the job stopped; free some space and run it again, finished items are kept`, ctx, { cause: err });
  }
  if (code === 'ENOENT') {
    const gone = goneFolder(err, folder);
    if (!gone) return null;
    return new FanoutError('OUTPUT_NOT_WRITABLE', `${gone} is gone (removed or moved while the job ran) (ENOENT): the job stopped; run it again to finish (what is on disk is kept)`, ctx, { cause: err });
  }
  if (code === 'EROFS') {
    return new FanoutError('OUTPUT_NOT_WRITABLE', `Cannot write to ${folder}: it is on a read-only file system (${code}). Choose another output folder or fix its permissions`, ctx, { cause: err });
  }
  if (NOT_WRITABLE_CODES.has(code)) {
    // The caller's context only: a mirror error's own context.path is a remote path.
    const refused = refusedPath(err, folder, context);
    if (!refused) return new FanoutError('OUTPUT_NOT_WRITABLE', `Cannot write to ${folder}: permission denied (${code}). Choose another output folder or fix its permissions`, ctx, { cause: err });
    if (ctx.path === undefined && ctx.file === undefined) ctx.path = refused;
    return new FanoutError(
      'OUTPUT_NOT_WRITABLE',
      `Cannot write to ${folder}: permission denied (${code}) on ${refused}. Fix the permissions of ${refused} (this user must be able to read and write it), or choose another folder`,
      ctx,
      { cause: err },
    );
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
