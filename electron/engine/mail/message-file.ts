import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { isTempName as isAtomicTempName, openAtomicFile, syncDir, writeFileAtomic } from '../output/atomic-file';

/**
 * Message files on disk. A file under its final name is complete and its bytes are on disk
 * (written to a temp name, fsync'd, mtime = INTERNALDATE, renamed); the rename itself becomes
 * durable when its directory is fsync'd, which the index does once per group of lines before
 * writing them (index-file.ts). So an index line never names a file a crash can take back.
 */

/** Writes a whole message: the one atomic write of the codebase (fsync of the data, then rename). */
export async function writeMessageFile(abs: string, source: Uint8Array, mtime: Date): Promise<string> {
  // The folder is fsync'd once per group of index lines (index-file.ts), not once per file.
  await writeFileAtomic(abs, source, { mtime, syncDir: false });
  return createHash('sha256').update(source).digest('hex');
}

/** fsync of a directory: makes the renames into it durable (the atomic module's). */
export const fsyncDir = syncDir;

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
