import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { FanoutError } from '../core/fanout-error';
import { AppendLog } from '../output/append-log';
import { storageFault } from '../output/storage-fault';
import type { ManifestEntry } from './manifest-entry';

export const MANIFEST_FILE = 'manifest.jsonl';

/**
 * `<out>/manifest.jsonl`, one JSON line per finished (or failed) book, appended as books finish
 * and never rewritten: a crash or a full disk loses nothing already recorded. A book may have
 * several lines over several runs; the last one wins (`readManifest`). A torn last line (a killed
 * run) is cut off at open. A line is appended only after the book's files are whole on disk.
 */
export class ManifestStore {
  readonly path: string;
  readonly #outDir: string;
  readonly #entries: Map<number, ManifestEntry>;
  readonly #log: AppendLog;

  private constructor(outDir: string, log: AppendLog, entries: Map<number, ManifestEntry>) {
    this.#outDir = outDir;
    this.path = log.path;
    this.#log = log;
    this.#entries = entries;
  }

  static async open(outDir: string): Promise<ManifestStore> {
    const path = join(outDir, MANIFEST_FILE);
    try {
      // AppendLog.open cuts a torn last line first, so the loaded entries are every whole line.
      const log = await AppendLog.open(path);
      return new ManifestStore(outDir, log, await readManifest(outDir));
    } catch (err) {
      throw writeError(err, outDir, path);
    }
  }

  get(ebook: number): ManifestEntry | undefined {
    return this.#entries.get(ebook);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Records a book; rejects with DISK_FULL / OUTPUT_NOT_WRITABLE / WRITE_FAILED (the line is then not in the file). */
  async append(entry: ManifestEntry): Promise<void> {
    try {
      await this.#log.append(JSON.stringify(entry));
    } catch (err) {
      throw writeError(err, this.#outDir, this.path, entry.ebook);
    }
    this.#entries.set(entry.ebook, entry);
  }

  /** Waits for the pending lines, flushes them to disk, closes. Never rewrites the file. */
  async close(): Promise<void> {
    await this.#log.close();
  }
}

function writeError(err: unknown, outDir: string, path: string, ebook?: number): FanoutError {
  const ctx = { file: path, ...(ebook !== undefined ? { ebook } : {}) };
  return storageFault(err, outDir, ctx) ?? new FanoutError('WRITE_FAILED', `Cannot write the manifest ${path}: ${(err as Error).message}`, { ...ctx, folder: outDir }, { cause: err });
}

/** The manifest's entries, the last line of each book winning; empty when there is none. Lines that do not parse are skipped. */
export async function readManifest(outDir: string): Promise<Map<number, ManifestEntry>> {
  const entries = new Map<number, ManifestEntry>();
  const input = createReadStream(join(outDir, MANIFEST_FILE), { encoding: 'utf8' });
  try {
    await once(input, 'open');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return entries;
    throw err;
  }
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as ManifestEntry;
      if (typeof entry.ebook === 'number') entries.set(entry.ebook, entry);
    } catch {
      // Not a line this program wrote whole: that book is simply not recorded as done.
    }
  }
  return entries;
}
