/**
 * THE atomic write of the engine: every file that must never be seen half-written (clean texts,
 * `.eml` messages, settings, history, secrets, state files) is written here.
 *
 * Protocol: write a temp file with a unique name in the same folder (same file system, so the
 * rename is atomic), fsync it, rename it over the target, fsync the folder (so the rename itself
 * survives a power cut). A crash leaves either the old file or the new one, plus at worst a temp
 * file that `removeStaleTempFiles` deletes at the next start. Two writers of one target never share
 * a temp file; the last rename wins.
 *
 * Errors are the raw Node errors (ENOSPC, EACCES, EROFS...): the caller knows the context and maps
 * them (see `storageFault` in ./storage-fault). The temp file is removed on every failure.
 *
 * Stable API (used by mail, mirror and jobs): writeFileAtomic, openAtomicFile, renameDurably,
 * tempPathFor, isTempName, removeStaleTempFiles, syncDir; writeFileAtomicOnThread (scrub threads);
 * writeFileAtomicSync (an 'exit' handler: the verify group's lock hand-over).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { open, readFile, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';
import { retryOnResourceLimit } from '../core/resource-retry';

export interface AtomicWriteOptions {
  /** Modification time to set on the file (a message's INTERNALDATE). */
  mtime?: Date;
  /** File mode of a new file (e.g. 0o600 for secrets); the umask applies. */
  mode?: number;
  /**
   * false: do not fsync the folder after the rename; the caller does it once for a group of files
   * before anything refers to them (mail: before the group's index lines). Default true.
   */
  syncDir?: boolean;
  /**
   * false: no fsync at all (neither the file nor the folder): still never seen half-written, but a
   * power cut may leave the old file. For records that mean nothing after a crash (a lock's holder:
   * its process is gone too), where an fsync under a loaded disk would only hold others up. Default true.
   */
  durable?: boolean;
  /**
   * The job's cancel: an open waiting out this process's open-files limit (`openRetrying`: up to
   * 1.85 s) stops waiting at once, rejecting ABORTED (a cancel waited for the pauses to end).
   */
  signal?: AbortSignal;
}

/** What an `open` here may be handed: the new file's mode, and the cancel that ends a wait at the open-files limit. */
export interface OpenOptions {
  mode?: number;
  signal?: AbortSignal;
}

/** `.<name>.<16 hex>.tmp`: hidden, unique per write, recognisable by `isTempName`. */
const TEMP_NAME = /^\..+\.[0-9a-f]{16}\.tmp$/;

/** Random bytes for temp names, drawn 8 at a time: one randomBytes call per 512 names, not per name (a mail run names one per message). */
let randomPool = Buffer.alloc(0);
let randomAt = 0;

export function tempPathFor(path: string): string {
  if (randomAt + 8 > randomPool.length) {
    randomPool = randomBytes(4096);
    randomAt = 0;
  }
  const hex = randomPool.toString('hex', randomAt, randomAt + 8);
  randomAt += 8;
  return join(dirname(path), `.${basename(path)}.${hex}.tmp`);
}

export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** Writes `data` to `path` atomically and durably (see the module comment). */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  const file = await openAtomicFile(path, opts);
  try {
    await file.handle.writeFile(data);
  } catch (err) {
    await file.abort();
    throw err;
  }
  await file.commit();
}

/**
 * `writeFileAtomic` with synchronous calls and no fsync (not durable), for where nothing can wait:
 * an 'exit' handler (verify/verify-folder.ts hands the folder's lock over as its process ends). A
 * unique temp opened 'wx', written, renamed over `path`; on failure the temp is removed and the
 * error thrown (as `writeFileAtomic`'s).
 */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const tempPath = tempPathFor(path);
  try {
    writeFileSync(tempPath, data, { flag: 'wx' });
    try {
      renameSync(tempPath, path);
    } catch (err) {
      throw folderInTheWay(err, path);
    }
  } catch (err) {
    removeQuietly(tempPath);
    throw err;
  }
}

const fsyncFd = promisify(fsync);

/**
 * `writeFileAtomic` for a thread that does nothing else meanwhile (the scrubber's worker thread,
 * scrub/scrub-file.ts), the folder's fsync left to the caller: a unique temp opened 'wx', the bytes
 * written, fsynced, closed, renamed over `path`. Only the fsync goes to the thread pool; the open,
 * write, fstat, close and rename are synchronous calls (the page cache: tens of µs each), not a pool
 * hop each with the thread woken after it (5 hops per book were 1). Never on the main thread: they
 * would block its event loop. `written` runs once the bytes are in the page cache. On failure the
 * temp is removed. Returns the file's mtime, read on its descriptor.
 */
export async function writeFileAtomicOnThread(path: string, bytes: Uint8Array, written: () => void): Promise<number> {
  const file = writeOnThread(tempPathFor(path), bytes, 'wx');
  try {
    written();
  } catch (err) {
    await file.abort();
    throw err;
  }
  await file.land(path);
  return file.mtimeMs;
}

/**
 * A resumable `.part` written whole on a thread that does nothing else meanwhile (a scrub thread
 * landing an HTTP book held in memory: mirror/book-sink.ts `takeHeld`), in two steps so that the
 * caller can work while its fsync runs: here `partPath` is created or truncated, written and
 * fstat'd with synchronous calls and its fsync started (on the pool); `land(path)` waits for the
 * fsync, closes it and renames it over `path` (the folder's fsync is the caller's); `abort()` waits
 * for the fsync, closes it and removes it. Exactly one of them must be called. The same protocol
 * as `renameDurably` (fsync, rename, folder fsync), with one pool hop instead of five.
 */
export function writePartOnThread(partPath: string, bytes: Uint8Array): FileWrittenOnThread {
  return writeOnThread(partPath, bytes, 'w');
}

/** A file `writeOnThread` wrote, its fsync under way: land it or abort it, once. */
interface FileWrittenOnThread {
  mtimeMs: number;
  land(path: string): Promise<void>;
  abort(): Promise<void>;
}

/**
 * The two steps of `writePartOnThread` and `writeFileAtomicOnThread` (one protocol for both): `partPath`
 * opened with `flags` ('w': a `.part` created or truncated; 'wx': a unique temp), written and fstat'd
 * with synchronous calls, its fsync started on the pool. On a failed write it is closed and removed.
 */
function writeOnThread(partPath: string, bytes: Uint8Array, flags: 'w' | 'wx'): FileWrittenOnThread {
  const fd = openSync(partPath, flags);
  let mtimeMs: number;
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    mtimeMs = fstatSync(fd).mtimeMs;
  } catch (err) {
    closeQuietly(fd);
    removeQuietly(partPath);
    throw err;
  }
  const synced = fsyncFd(fd);
  synced.catch(() => {}); // surfaces in land()
  let done = false;
  const once = () => {
    if (done) throw new Error(`${partPath}: landed or aborted already`);
    done = true;
  };
  return {
    mtimeMs,
    async land(path) {
      once();
      try {
        await synced;
      } catch (err) {
        closeQuietly(fd);
        removeQuietly(partPath);
        throw err;
      }
      try {
        closeSync(fd);
        try {
          renameSync(partPath, path);
        } catch (err) {
          throw folderInTheWay(err, path);
        }
      } catch (err) {
        removeQuietly(partPath);
        throw err;
      }
    },
    async abort() {
      once();
      await synced.catch(() => {}); // the descriptor is not closed under its fsync
      closeQuietly(fd);
      removeQuietly(partPath);
    },
  };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already failing */
  }
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    /* left behind: a later attempt truncates a `.part`, removeStaleTempFiles takes a temp */
  }
}

/**
 * A file being written piece by piece (a large message fetched in ranges): write through `handle`,
 * then `commit()` (fsync, mtime, close, rename, fsync folder) or `abort()` (close, remove the temp).
 * Exactly one of them must be called; `abort` after a failed `commit` is harmless.
 */
export interface AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  readonly handle: FileHandle;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export async function openAtomicFile(path: string, opts: AtomicWriteOptions = {}): Promise<AtomicFile> {
  const tempPath = tempPathFor(path);
  // 'wx': a temp name that already exists is never written into (it would be someone else's).
  const handle = await openRetrying(tempPath, 'wx', { mode: opts.mode, signal: opts.signal });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  const abort = async () => {
    await close().catch(() => {});
    await rm(tempPath, { force: true }).catch(() => {});
  };
  return {
    path,
    tempPath,
    handle,
    abort,
    async commit() {
      try {
        if (opts.durable !== false) await handle.sync();
        if (opts.mtime) await handle.utimes(opts.mtime, opts.mtime);
        await close();
        await rename(tempPath, path).catch((err: unknown) => {
          throw folderInTheWay(err, path);
        });
      } catch (err) {
        await abort();
        throw err;
      }
      if (opts.syncDir !== false && opts.durable !== false) await syncDir(dirname(path), opts);
    },
  };
}

/**
 * The same commit for a file written by other means (a mirror's resumable `.part`, a download's
 * temp file): fsync its bytes (on the writer's own descriptor when given, then closed), rename it
 * over `path`, fsync the folder. Without the first fsync a
 * power cut can leave the new name on a short file; without the last, the old name.
 */
export async function renameDurably(
  from: string,
  path: string,
  opts: Pick<AtomicWriteOptions, 'syncDir' | 'signal'> & {
    /** `from` still open for writing (a `PartFile`'s): fsynced and closed here, not reopened. */
    handle?: FileHandle;
  } = {},
): Promise<void> {
  const handle = opts.handle ?? (await openRetrying(from, 'r+', opts)); // writable: Windows flushes only a handle that can write
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(from, path).catch((err: unknown) => {
    throw folderInTheWay(err, path);
  });
  if (opts.syncDir !== false) await syncDir(dirname(path), opts);
}

/**
 * A rename over `path` refused because a folder is there (EISDIR): the same error (code, syscall),
 * its message naming the folder in the way and what to do, `path` the folder; Node's own named the
 * temp file first ("EISDIR: illegal operation on a directory, rename '<temp>' -> '<path>'"), which
 * a book's failure line then showed. Any other error as it is.
 */
function folderInTheWay(err: unknown, path: string): unknown {
  if ((err as NodeJS.ErrnoException | null)?.code !== 'EISDIR') return err;
  return Object.assign(new Error(`${path} is a folder, not a file: move it out of the way (fanout does not delete it), then run again`, { cause: err }), { code: 'EISDIR', errno: (err as NodeJS.ErrnoException).errno, syscall: 'rename', path });
}

/**
 * fsyncs a folder, so that a rename or a new file in it is on disk. Skipped where folders cannot
 * be opened or synced (Windows; file systems that answer EINVAL): the data itself was synced.
 */
export async function syncDir(dir: string, opts: Pick<OpenOptions, 'signal'> = {}): Promise<void> {
  const handle = await openDirForSync(dir, opts);
  if (!handle) return;
  try {
    await syncDirHandle(handle);
  } finally {
    await handle.close().catch(() => {});
  }
}

/**
 * `open`, tried again after a pause when this process is at its open-files limit (EMFILE, ENFILE,
 * ENOMEM: core/resource-retry.ts, 250/600/1000 ms). An open that failed so made nothing (the
 * descriptor is what ran out), so a new try is the same open. Measured (s17, 16 FTP workers, nofile
 * 56-72): a book's clean/ or the output folder's fsync met the short peak of open files and stopped
 * the job with 2 of 150 done. Still failing after the last try: the raw error (`storageFault` stops
 * the job with OUT_OF_RESOURCES). A cancel (`signal`) ends a pause at once: ABORTED, no new try.
 * The one open of the storage layer: a `.part` (part-file.ts), the output lock's file and guards
 * (output-lock.ts, verify/verify-folder.ts) open through it too.
 */
export function openRetrying(path: string, flags: string, opts: OpenOptions = {}): Promise<FileHandle> {
  return retryOnResourceLimit(() => open(path, flags, opts.mode), { signal: opts.signal });
}

/** A small file's text (a lock's holder, a verify group's record), its read tried again at the open-files limit as `openRetrying`. Raw errors. */
export function readFileRetrying(path: string, opts: Pick<OpenOptions, 'signal'> = {}): Promise<string> {
  return retryOnResourceLimit(() => readFile(path, 'utf8'), { signal: opts.signal });
}

/** Opens a folder to fsync it (`syncDirHandle`; at the open-files limit, tried again: `openRetrying`), or null where folders cannot be opened (Windows). */
export async function openDirForSync(dir: string, opts: Pick<OpenOptions, 'signal'> = {}): Promise<FileHandle | null> {
  try {
    return await openRetrying(dir, 'r', { signal: opts.signal });
  } catch (err) {
    if (process.platform === 'win32') return null;
    throw err;
  }
}

/** fsyncs an open folder; file systems that refuse to (EINVAL and kin) are skipped: the data itself was synced. */
export async function syncDirHandle(handle: FileHandle): Promise<void> {
  try {
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
  }
}

/**
 * Removes the temp files `writeFileAtomic` left in `dir` when a run was killed mid-write. Only
 * call it where no other writer can be at work: in an output folder under its lock, or with
 * `olderThanMs` (a data folder several hosts may share). Returns how many were removed.
 */
export async function removeStaleTempFiles(dir: string, opts: { olderThanMs?: number } = {}): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  const cutoff = opts.olderThanMs !== undefined ? Date.now() - opts.olderThanMs : Infinity;
  for (const name of names) {
    if (!isTempName(name)) continue;
    const full = join(dir, name);
    if (cutoff !== Infinity) {
      const s = await stat(full).catch(() => null);
      if (!s || s.mtimeMs > cutoff) continue;
    }
    await rm(full, { force: true });
    removed++;
  }
  return removed;
}
