import { stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { digestFile } from '../output/file-digest';
import type { ManifestEntry } from './manifest-entry';
import type { RecordedBook } from './manifest-store';

type HashedFiles = Pick<ManifestEntry, 'status' | 'rawFile' | 'cleanFile' | 'rawBytes' | 'cleanBytes' | 'rawSha256' | 'cleanSha256'>;

/**
 * A book counts as finished only if the manifest says so AND both files on disk still match the
 * recorded size and sha256. Reads every byte: for tests and old manifest lines; a re-run uses the
 * quick check (`isBookUnchanged`), `fanout verify corpus` its own full check.
 */
export async function isBookComplete(outDir: string, entry: HashedFiles | undefined): Promise<boolean> {
  if (!entry || entry.status !== 'ok' || !entry.rawFile || !entry.cleanFile) return false;
  const [raw, clean] = await Promise.all([digestFile(join(outDir, entry.rawFile)), digestFile(join(outDir, entry.cleanFile))]);
  return (
    raw !== null && clean !== null &&
    raw.bytes === entry.rawBytes && raw.sha256 === entry.rawSha256 &&
    clean.bytes === entry.cleanBytes && clean.sha256 === entry.cleanSha256
  );
}

/** A file's modification time as the manifest records it: whole milliseconds (JSON, and what utimes can set back). */
export function recordedMtime(mtimeMs: number): number {
  return Math.round(mtimeMs);
}

/**
 * The re-run's check, as rsync's: both files still have the size and modification time recorded
 * when they were written; no byte is read (a re-run over 75,000 books would otherwise re-hash the
 * whole corpus). A manifest line written before mtimes were recorded falls back to the full hash.
 * A file edited in place keeping its size and mtime is not noticed here: `fanout verify corpus` is.
 */
export async function isBookUnchanged(outDir: string, book: RecordedBook | undefined): Promise<boolean> {
  return book !== undefined && (await bookChange(outDir, book)) === null;
}

/**
 * `isBookUnchanged`'s check saying what changed: null when both files are as recorded, else the
 * first difference (`raw/N-0.txt missing`, `clean/N.txt 100 bytes, recorded 5000`, …), which
 * the re-run reports for the books it restores.
 *
 * Only the mtimes differ (the folder copied by something that does not keep them: `cp -r`, rsync
 * without `-t`) and the line has the sha256s: both files are hashed; the same bytes as recorded,
 * the recorded mtimes are put back (so the next re-run's quick check passes without hashing) and
 * the book is unchanged, not fetched again.
 */
export async function bookChange(outDir: string, book: RecordedBook): Promise<string | null> {
  if (book.rawMtimeMs === null || book.cleanMtimeMs === null) {
    return (await isBookComplete(outDir, { ...book, status: 'ok' })) ? null : `${book.rawFile} or ${book.cleanFile} differs from its recorded size or sha256`;
  }
  const rawPath = join(outDir, book.rawFile);
  const cleanPath = join(outDir, book.cleanFile);
  const [raw, clean] = await Promise.all([statFile(rawPath), statFile(cleanPath)]);
  const change = fileChange(book.rawFile, raw, book.rawBytes, book.rawMtimeMs) ?? fileChange(book.cleanFile, clean, book.cleanBytes, book.cleanMtimeMs);
  if (change === null || !raw || !clean || raw.size !== book.rawBytes || clean.size !== book.cleanBytes || !book.rawSha256 || !book.cleanSha256) return change;
  const [rawDigest, cleanDigest] = await Promise.all([digestFile(rawPath), digestFile(cleanPath)]);
  if (rawDigest?.sha256 !== book.rawSha256) return `${book.rawFile} changed (other bytes than recorded)`;
  if (cleanDigest?.sha256 !== book.cleanSha256) return `${book.cleanFile} changed (other bytes than recorded)`;
  // Best effort: a file whose mtime cannot be set is hashed again by the next re-run.
  await Promise.all([
    utimes(rawPath, new Date(), book.rawMtimeMs / 1000).catch(() => {}),
    utimes(cleanPath, new Date(), book.cleanMtimeMs / 1000).catch(() => {}),
  ]);
  return null;
}

function fileChange(file: string, st: { size: number; mtimeMs: number } | null, bytes: number, mtimeMs: number): string | null {
  if (st === null) return `${file} missing`;
  if (st.size !== bytes) return `${file} ${st.size} bytes, recorded ${bytes}`;
  if (recordedMtime(st.mtimeMs) !== mtimeMs) return `${file} modified ${new Date(st.mtimeMs).toISOString()}, recorded ${new Date(mtimeMs).toISOString()}`;
  return null;
}

async function statFile(path: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const st = await stat(path);
    return st.isFile() ? st : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
}
