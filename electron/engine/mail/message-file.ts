import { createHash, type Hash } from 'node:crypto';
import { closeSync, createReadStream, fsync, futimesSync, open, rename, rmSync, writeSync } from 'node:fs';
import { isTempName as isAtomicTempName, openAtomicFile, tempPathFor } from '../output/atomic-file';

/**
 * Message files on disk. A file under its final name is complete and its bytes are on disk
 * (written to a temp name, fsync'd, mtime = INTERNALDATE, renamed); the rename itself becomes
 * durable when its directory is fsync'd, which the index does once per group of lines before
 * writing them (index-file.ts). So an index line never names a file a crash can take back.
 */

/**
 * Writes a whole message: temp file (the atomic module's name, so one clean-up covers it), data,
 * mtime, fsync, close, rename. The same steps as `writeFileAtomic` with `syncDir: false` (the
 * folder is fsync'd once per group of index lines, index-file.ts), with three of libuv's
 * thread-pool hops instead of six: the calls that touch the folder (open with O_CREAT|O_EXCL,
 * rename: slow in a large, busy folder) and the fsync (waits for the disk) stay on the pool; the
 * write into the page cache, futimes and close, quick calls on the descriptor, run on the main
 * thread. Each hop costs a pool thread's wake-up, a completion through the event loop and a
 * promise. Measured, 3,000 files of 8–80 KB, 8 in flight, at load ~15: user + system CPU 3.70 /
 * 3.75 s with six hops, 3.35 / 2.99 s with three, main thread 0.69 / 0.73 → 0.61 / 0.56 s. All
 * calls but the fsync on the main thread cost least in all (2.4–2.7 s) but put ~0.7 ms of
 * directory work per file on the thread that parses (main thread 2.0–2.2 s): not that.
 */
export async function writeMessageFile(abs: string, source: Uint8Array, mtime: Date): Promise<string> {
  const temp = tempPathFor(abs);
  // 'wx': a temp name that already exists is never written into.
  const fd = await fdCall<number>((cb) => open(temp, 'wx', cb));
  try {
    for (let off = 0; off < source.length; ) off += writeSync(fd, source, off, source.length - off);
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
  try {
    await fdCall<void>((cb) => rename(temp, abs, cb));
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  return createHash('sha256').update(source).digest('hex');
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
