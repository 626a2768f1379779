import { createHash, type Hash } from 'node:crypto';
import { closeSync, createReadStream, fsync, futimesSync, open, renameSync, rmSync, writeSync, writevSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { isTempName as isAtomicTempName, openAtomicFile, tempPathFor } from '../output/atomic-file';

/**
 * Message files on disk. A file under its final name is complete and its bytes are on disk
 * (written to a temp name, fsync'd, mtime = INTERNALDATE, renamed); the rename itself becomes
 * durable when its directory is fsync'd, which the index does once per group of lines before
 * writing them (index-file.ts). So an index line never names a file a crash can take back.
 */

/**
 * A message's bytes durable in their temp file, closed, not yet under their final name: `land()`
 * renames it there (synchronous: the rename is a quick call), `drop()` removes it. Holds no
 * descriptor, so any number can wait (a body whose length is not its RFC822.SIZE waits for a NOOP
 * and a UID SEARCH to tell whether the message is still there, mail-worker.ts).
 */
export interface HeldMessageFile {
  readonly temp: string;
  readonly bytes: number;
  readonly sha256: string;
  land(): void;
  /** Gives the held file another mtime, durably (open, futimes, fsync, close): its INTERNALDATE came later. */
  restamp(mtime: Date): Promise<void>;
  drop(): Promise<void>;
}

/**
 * Writes a whole message to its temp file (the atomic module's name, so one clean-up covers it),
 * opened 'wx': data, mtime, fsync, close; `land()` renames it (FolderStore.writeMessage: at once,
 * then the index line; a held body: once the server tells it is the message). On failure the temp
 * is removed. The same steps as `writeFileAtomic` with `syncDir: false` (the
 * folder is fsync'd once per group of index lines, index-file.ts), with two of libuv's
 * thread-pool hops instead of six: the open (O_CREAT|O_EXCL allocates an inode: ~0.5 ms of
 * kernel time per file on ext4, as much as mbsync's own open) and the fsync (waits for the disk)
 * run on the pool; the write into the page cache, futimes, close and the rename, quick calls,
 * run on the main thread. Each hop costs a pool thread's wake-up (futex), a completion through the
 * event loop and a promise. Session 5 measured six hops → three (3,000 files, 8 in flight, load
 * ~15: user + system CPU 3.70 / 3.75 s → 3.35 / 2.99 s) and everything but the fsync on the main
 * thread (2.4–2.7 s, but ~0.7 ms of inode allocation per file on the thread that parses); the
 * rename was the cheap one of the two (perf, session 7: ~10 µs of kernel per file against the
 * open's ~500 µs), so it left the pool (docs/BENCHMARKS.md, "Session 7: mail").
 */
export async function holdMessageFile(abs: string, source: MessageBytes, mtime: Date): Promise<HeldMessageFile> {
  const temp = tempPathFor(abs);
  // 'wx': a temp name that already exists is never written into.
  const fd = await fdCall<number>((cb) => open(temp, 'wx', cb));
  try {
    writeAll(fd, source);
    // Before the fsync, so the mtime is as durable as the bytes.
    futimesSync(fd, mtime, mtime);
    await fdCall<void>((cb) => fsync(fd, cb));
  } catch (err) {
    try {
      closeSync(fd);
    } finally {
      rmSync(temp, { force: true });
    }
    throw err;
  }
  closeSync(fd);
  const hash = createHash('sha256');
  if (isPieces(source)) for (const piece of source) hash.update(piece);
  else hash.update(source);
  const sha256 = hash.digest('hex');
  return {
    temp,
    bytes: messageSize(source),
    sha256,
    land() {
      try {
        renameSync(temp, abs);
      } catch (err) {
        rmSync(temp, { force: true });
        throw err;
      }
    },
    async restamp(when) {
      const fd2 = await fdCall<number>((cb) => open(temp, 'r+', cb));
      try {
        futimesSync(fd2, when, when);
        await fdCall<void>((cb) => fsync(fd2, cb));
      } finally {
        closeSync(fd2);
      }
    },
    drop: () => rm(temp, { force: true }),
  };
}

/**
 * A message's bytes: one buffer, or its pieces in order (a body as it came off the socket, not
 * joined: literal-pieces.ts). Written with writev and hashed piece by piece, the same bytes.
 */
export type MessageBytes = Uint8Array | readonly Uint8Array[];

function isPieces(bytes: MessageBytes): bytes is readonly Uint8Array[] {
  return Array.isArray(bytes);
}

/** The number of bytes of a message. */
export function messageSize(bytes: MessageBytes): number {
  if (!isPieces(bytes)) return bytes.length;
  let n = 0;
  for (const piece of bytes) n += piece.length;
  return n;
}

/** Linux's IOV_MAX: the most buffers one writev takes. */
const IOV_MAX = 1024;

/** Writes every byte at the descriptor's position (a write may take fewer bytes than asked). */
function writeAll(fd: number, bytes: MessageBytes): void {
  if (!isPieces(bytes)) {
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    return;
  }
  let rest = bytes.filter((piece) => piece.length > 0);
  while (rest.length > 0) {
    let written = writevSync(fd, rest.length > IOV_MAX ? rest.slice(0, IOV_MAX) : rest);
    let done = 0;
    while (done < rest.length && written >= rest[done]!.length) written -= rest[done++]!.length;
    rest = rest.slice(done);
    if (written > 0) rest[0] = rest[0]!.subarray(written);
  }
}

/** A callback-API file call as a promise (no FileHandle object per message). */
function fdCall<T>(start: (cb: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value as T))));
}

/** A message that arrives in pieces (a large one fetched in partial ranges): one piece in memory at a time. */
export interface StreamedMessageFile {
  readonly bytes: number;
  write(piece: Uint8Array): Promise<void>;
  /** fsync, mtime, rename to the final name. Resolves with the SHA-256 of the bytes written. */
  commit(): Promise<string>;
  /** Drops the temp file. */
  abort(): Promise<void>;
}

/**
 * Opens the temp file of a streamed message: the atomic module's piece-by-piece write (same temp
 * naming and steps as writeFileAtomic), so one clean-up (`isTempName`) covers both.
 */
export async function openStreamedMessageFile(abs: string, mtime: Date): Promise<StreamedMessageFile> {
  const file = await openAtomicFile(abs, { mtime, syncDir: false });
  const hash: Hash = createHash('sha256');
  let bytes = 0;
  return {
    get bytes() {
      return bytes;
    },
    async write(piece) {
      try {
        for (let off = 0; off < piece.length; ) {
          const { bytesWritten } = await file.handle.write(piece, off, piece.length - off);
          off += bytesWritten;
        }
      } catch (err) {
        await file.abort();
        throw err;
      }
      hash.update(piece);
      bytes += piece.length;
    },
    async commit() {
      await file.commit();
      return hash.digest('hex');
    },
    abort: () => file.abort(),
  };
}

/** A message file's name in its generation's directory: `<uid>.eml`. */
export function isMessageFileName(name: string): boolean {
  return /^\d+\.eml$/.test(name);
}

/** Temp files of an interrupted write: the atomic module's, and two older namings (`.<name>.<8 hex>.tmp`, `<name>.tmp-<hex>`). */
export function isTempName(name: string): boolean {
  return isAtomicTempName(name) || /^\..+\.[0-9a-f]{8}\.tmp$/.test(name) || /\.tmp-[0-9a-f]+$/.test(name);
}

/** Size and SHA-256 of a file, read as a stream. */
export async function hashFile(abs: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(abs)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}
