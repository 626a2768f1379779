import { readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { candidates } from '../mirror/mirror-layout';
import type { EncodingHint } from '../mirror/types';
import { writeFileAtomic } from '../output/atomic-file';
import { recordedMtime } from './book-completion';

/** A raw file landed whole by a job that was stopped before its manifest line (LandedRaws). */
export interface LandedRaw {
  ebook: number;
  /** `raw/<name>`, the name one of the book's candidates' (`N-0.txt`, `N-8.txt`, `N.txt`, `pgN.txt`). */
  rawFile: string;
  url: string;
  remoteName: string;
  /** The size the download was checked against (listing, Content-Length) and landed with. */
  bytes: number;
  /** Known when the job hashed it as it landed (not for a text the scrub thread was to write). */
  sha256: string | null;
  mtimeMs: number | null;
  encodingHint: EncodingHint;
  fromZip: boolean;
  downloadMs: number;
}

/** `<out>/.fanout-landed.json`: the raw files a stopped job landed and could not record. */
export const LANDED_FILE = '.fanout-landed.json';

/**
 * Whole raw files without a manifest line, left by a job that was stopped (Ctrl-C, a full disk)
 * while they waited for the scrubber: the re-run hashes, cleans and records them instead of
 * downloading them again. What proves one whole and the one recorded, conservatively (any doubt:
 * fetched, as before):
 * - the stopped job recorded it here (written once, at its end; a job killed outright records
 *   nothing, and its files are fetched again): its URL, the size the download was checked
 *   against (the listing's or Content-Length) and, when the job hashed it as it landed, its sha256
 *   and mtime;
 * - the book has no manifest line of its own (ok or failed) and this job's mirror is the one it
 *   came from (another mirror may hold another version of it);
 * - the file is there under its final name (landed: temp or `.part`, fsync, rename; never a
 *   `.part`), a regular file with the recorded size (and mtime), a name of that book's candidates;
 * - its bytes hash to the recorded sha256 (when recorded). Hashed on adoption, then cleaned and
 *   recorded like a download (its source URL and download time the first job's).
 * The file is rewritten at the end of each job: this job's stopped books, and the earlier entries
 * for books it did not look at; none left, it is removed. Nothing is written when there was none.
 */
export class LandedRaws {
  readonly #outDir: string;
  readonly #mirror: URL | null;
  /** Entries read at the start (books this job has not looked at yet). */
  readonly #earlier: Map<number, LandedRaw>;
  /** Books this job will adopt (checked by `consider`), until taken. */
  readonly #adoptable = new Map<number, LandedRaw>();
  /** This job's stopped books. */
  readonly #stopped = new Map<number, LandedRaw>();
  #existed: boolean;

  private constructor(outDir: string, mirror: string, earlier: Map<number, LandedRaw>, existed: boolean) {
    this.#outDir = outDir;
    this.#mirror = URL.canParse(mirror) ? new URL(mirror) : null;
    this.#earlier = earlier;
    this.#existed = existed;
  }

  static async open(outDir: string, mirror: string): Promise<LandedRaws> {
    let text: string | null = null;
    try {
      text = await readFile(join(outDir, LANDED_FILE), 'utf8');
    } catch {
      /* none (or unreadable: nothing adopted) */
    }
    const earlier = new Map<number, LandedRaw>();
    if (text !== null) {
      try {
        const doc = JSON.parse(text) as { books?: unknown };
        for (const b of Array.isArray(doc.books) ? doc.books : []) if (isLandedRaw(b)) earlier.set(b.ebook, b);
      } catch {
        /* a damaged file: nothing adopted */
      }
    }
    return new LandedRaws(outDir, mirror, earlier, text !== null);
  }

  /**
   * A book this job has to do: adoptable if an earlier job left its raw file whole (see the class),
   * checked here by name, size and mtime (its bytes when it is taken). `hasLine`: the manifest has a line for it.
   */
  async consider(ebook: number, hasLine: boolean): Promise<void> {
    const raw = this.#earlier.get(ebook);
    if (!raw) return;
    this.#earlier.delete(ebook);
    if (hasLine || !this.#sameMirror(raw.url) || !isCandidateRawFile(ebook, raw.rawFile)) return;
    const st = await stat(join(this.#outDir, raw.rawFile)).catch(() => null);
    if (!st?.isFile() || st.size !== raw.bytes) return;
    if (raw.mtimeMs !== null && recordedMtime(st.mtimeMs) !== recordedMtime(raw.mtimeMs)) return;
    this.#adoptable.set(ebook, raw);
  }

  /** A book skipped as done: an entry for it is stale. */
  forget(ebook: number): void {
    this.#earlier.delete(ebook);
    this.#adoptable.delete(ebook);
  }

  has(ebook: number): boolean {
    return this.#adoptable.has(ebook);
  }

  /** The book's entry, once (a retry of the book fetches it). */
  take(ebook: number): LandedRaw | undefined {
    const raw = this.#adoptable.get(ebook);
    this.#adoptable.delete(ebook);
    return raw;
  }

  /** A book stopped after its raw file was handed to the scrubber: recorded for the next run. */
  stopped(raw: LandedRaw): void {
    this.#stopped.set(raw.ebook, raw);
  }

  /** Writes what the next run may adopt (atomically), or removes the file when nothing is left. Best effort: a failure only costs a download. */
  async save(): Promise<void> {
    const books = [...this.#earlier.values(), ...this.#adoptable.values(), ...this.#stopped.values()];
    const path = join(this.#outDir, LANDED_FILE);
    try {
      if (books.length > 0) await writeFileAtomic(path, JSON.stringify({ books }) + '\n');
      else if (this.#existed) await unlink(path).catch(() => {});
      this.#existed = books.length > 0;
    } catch {
      /* a full or read-only disk: the next run fetches these books */
    }
  }

  #sameMirror(url: string): boolean {
    if (!this.#mirror || !URL.canParse(url)) return false;
    const u = new URL(url);
    const base = this.#mirror.pathname.endsWith('/') ? this.#mirror.pathname : `${this.#mirror.pathname}/`;
    return u.origin === this.#mirror.origin && u.pathname.startsWith(base);
  }
}

function isLandedRaw(v: unknown): v is LandedRaw {
  const b = v as Partial<LandedRaw> | null;
  return (
    b !== null && typeof b === 'object' && Number.isSafeInteger(b.ebook) && typeof b.rawFile === 'string' && typeof b.url === 'string' &&
    typeof b.remoteName === 'string' && Number.isSafeInteger(b.bytes) && (b.sha256 === null || typeof b.sha256 === 'string') &&
    (b.mtimeMs === null || typeof b.mtimeMs === 'number') && (b.encodingHint === 'utf-8' || b.encodingHint === 'latin-1' || b.encodingHint === 'unknown') &&
    typeof b.fromZip === 'boolean' && typeof b.downloadMs === 'number'
  );
}

/**
 * `raw/<name>` where `<name>` is one the mirror lands a text of this book under (`N-0.txt`, `N-8.txt`,
 * `N.txt`, `pgN.txt`: mirror-layout's candidates, HTTP's list holding FTP's): nothing else is adopted.
 */
export function isCandidateRawFile(ebook: number, rawFile: string): boolean {
  const name = rawFile.split('\\').join('/');
  return candidates(ebook, 'http').some((c) => name === `raw/${c.textName}`);
}
