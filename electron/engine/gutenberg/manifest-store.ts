import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { FanoutError } from '../core/fanout-error';
import { AppendLog } from '../output/append-log';
import { storageFault } from '../output/storage-fault';
import type { ManifestEntry } from './manifest-entry';

export const MANIFEST_FILE = 'manifest.jsonl';

/**
 * What a re-run needs of a book recorded ok: where its files are and their sizes and mtimes (the
 * sha256s only for lines written before mtimes were recorded, which are checked by hash).
 */
export interface RecordedBook {
  ebook: number;
  rawFile: string;
  cleanFile: string;
  rawBytes: number;
  cleanBytes: number;
  rawMtimeMs: number | null;
  cleanMtimeMs: number | null;
  rawSha256: string | null;
  cleanSha256: string | null;
}

/**
 * `<out>/manifest.jsonl`, one JSON line per finished (or failed) book, appended as books finish
 * and never rewritten: a crash or a full disk loses nothing already recorded. A book may have
 * several lines over several runs; the last one wins (`readManifest`). A torn last line (a killed
 * run) is cut off at open. A line is appended only after the book's files are whole on disk.
 *
 * Memory stays flat in the size of the job: the store keeps only a small `RecordedBook` per book
 * recorded ok by earlier runs, each dropped once the re-run has looked it up (`take`), and nothing
 * of the lines it appends (a book is looked up once, before it is fetched).
 */
export class ManifestStore {
  readonly path: string;
  readonly #outDir: string;
  readonly #recorded: Map<number, RecordedBook>;
  /**
   * The file, opened at `open` when it exists; otherwise created by the first `append` (a job that
   * wrote nothing, e.g. an unreachable mirror, leaves no empty manifest.jsonl behind: with it, the
   * output folder it created is removed again, as a refused mail job's is), or by `close` when raw/
   * holds something.
   */
  #log: Promise<AppendLog> | null;

  private constructor(outDir: string, path: string, log: AppendLog | null, recorded: Map<number, RecordedBook>) {
    this.#outDir = outDir;
    this.path = path;
    this.#log = log ? Promise.resolve(log) : null;
    this.#recorded = recorded;
  }

  static async open(outDir: string): Promise<ManifestStore> {
    const path = join(outDir, MANIFEST_FILE);
    try {
      // AppendLog.open cuts a torn last line first, so the loaded entries are every whole line.
      const exists = await stat(path).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return false;
          throw err;
        },
      );
      const log = exists ? await AppendLog.open(path) : null;
      const recorded = new Map<number, RecordedBook>();
      await forEachManifestLine(outDir, (entry) => {
        const book = toRecordedBook(entry);
        if (book) recorded.set(entry.ebook, book);
        else recorded.delete(entry.ebook);
      });
      return new ManifestStore(outDir, path, log, recorded);
    } catch (err) {
      throw writeError(err, outDir, path);
    }
  }

  /** The book as earlier runs recorded it ok (undefined if not, or if its last line is a failure); forgotten after. */
  take(ebook: number): RecordedBook | undefined {
    const book = this.#recorded.get(ebook);
    this.#recorded.delete(ebook);
    return book;
  }

  /** Books recorded ok by earlier runs and not yet taken. */
  get recordedCount(): number {
    return this.#recorded.size;
  }

  /** Records a book; rejects with DISK_FULL / OUTPUT_NOT_WRITABLE / WRITE_FAILED (the line is then not in the file). */
  async append(entry: ManifestEntry): Promise<void> {
    try {
      // The first line creates the file (one open, shared by the lines that arrive meanwhile).
      if (!this.#log) {
        const opening = AppendLog.open(this.path);
        this.#log = opening;
        // One that failed (no space for the file) is tried again by the next line.
        opening.catch(() => {
          if (this.#log === opening) this.#log = null;
        });
      }
      await (await this.#log).append(JSON.stringify(entry));
    } catch (err) {
      throw writeError(err, this.#outDir, this.path, entry.ebook);
    }
    this.#recorded.delete(entry.ebook);
  }

  /** Waits for the pending lines, flushes them to disk, closes. Never rewrites the file. */
  async close(): Promise<void> {
    // A run that landed raw files but recorded no line (cancelled while its first book was
    // cleaned) still marks the folder as a Gutenberg output (the input checks' corpus test,
    // `fanout verify corpus`, the re-run that adopts those files): the file is created then.
    if (!this.#log && (await holdsAnything(join(this.#outDir, 'raw')))) this.#log = AppendLog.open(this.path);
    const log = await this.#log?.catch(() => null);
    await log?.close();
  }
}

async function holdsAnything(dir: string): Promise<boolean> {
  return readdir(dir).then(
    (names) => names.length > 0,
    () => false,
  );
}

function toRecordedBook(e: ManifestEntry): RecordedBook | null {
  if (e.status !== 'ok' || !e.rawFile || !e.cleanFile || typeof e.rawBytes !== 'number' || typeof e.cleanBytes !== 'number') return null;
  const rawMtimeMs = typeof e.rawMtimeMs === 'number' ? e.rawMtimeMs : null;
  const cleanMtimeMs = typeof e.cleanMtimeMs === 'number' ? e.cleanMtimeMs : null;
  const quick = rawMtimeMs !== null && cleanMtimeMs !== null;
  return {
    ebook: e.ebook, rawFile: e.rawFile, cleanFile: e.cleanFile, rawBytes: e.rawBytes, cleanBytes: e.cleanBytes,
    rawMtimeMs, cleanMtimeMs, rawSha256: quick ? null : e.rawSha256, cleanSha256: quick ? null : e.cleanSha256,
  };
}

function writeError(err: unknown, outDir: string, path: string, ebook?: number): FanoutError {
  const ctx = { file: path, ...(ebook !== undefined ? { ebook } : {}) };
  return storageFault(err, outDir, ctx) ?? new FanoutError('WRITE_FAILED', `Cannot write the manifest ${path}: ${(err as Error).message}`, { ...ctx, folder: outDir }, { cause: err });
}

/** The manifest's entries, the last line of each book winning; empty when there is none. Lines that do not parse are skipped. */
export async function readManifest(outDir: string): Promise<Map<number, ManifestEntry>> {
  const entries = new Map<number, ManifestEntry>();
  await forEachManifestLine(outDir, (entry) => entries.set(entry.ebook, entry));
  return entries;
}

/** Calls `onEntry` for each whole line in file order (streamed: one line in memory at a time). */
async function forEachManifestLine(outDir: string, onEntry: (entry: ManifestEntry) => void): Promise<void> {
  const input = createReadStream(join(outDir, MANIFEST_FILE), { encoding: 'utf8' });
  try {
    await once(input, 'open');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let entry: ManifestEntry;
    try {
      entry = JSON.parse(line) as ManifestEntry;
    } catch {
      continue; // Not a line this program wrote whole: that book is simply not recorded as done.
    }
    if (typeof entry.ebook === 'number') onEntry(entry);
  }
}
