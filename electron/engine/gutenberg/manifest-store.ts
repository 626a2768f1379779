import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { FanoutError } from '../core/fanout-error';
import { AppendLog } from '../output/append-log';
import { storageFault } from '../output/storage-fault';
import { manifestRecordProblem, type ManifestEntry } from './manifest-entry';

export const MANIFEST_FILE = 'manifest.jsonl';

/**
 * What a re-run needs of a book recorded ok: where its files are, their sizes and mtimes, and their
 * sha256s (a line written before mtimes were recorded is checked by hash; one with mtimes only
 * when they changed: a folder copied without them, `cp -r`, is then kept, not fetched again).
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
  readonly #recorded: Map<number, StoredBook>;
  /**
   * The file, opened at `open` when it exists; otherwise created by the first `append` (a job that
   * wrote nothing, e.g. an unreachable mirror, leaves no empty manifest.jsonl behind: with it, the
   * output folder it created is removed again, as a refused mail job's is), or by `close` when raw/
   * holds something.
   */
  #log: Promise<AppendLog> | null;

  /** Lines of the file that are no record (see ManifestDamage), read at open: `manifestDamageNote` says them. */
  readonly damage: readonly ManifestDamage[];

  /** Books whose last line failed, or whose last line naming them is damaged (few: kept whole). */
  readonly #notDone: ReadonlyMap<number, 'failed' | 'damaged'>;

  private constructor(
    outDir: string,
    path: string,
    log: AppendLog | null,
    recorded: Map<number, StoredBook>,
    damage: ManifestDamage[],
    notDone: ReadonlyMap<number, 'failed' | 'damaged'>,
  ) {
    this.damage = damage;
    this.#notDone = notDone;
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
      const recorded = new Map<number, StoredBook>();
      const notDone = new Map<number, 'failed' | 'damaged'>();
      const damage = await forEachManifestLine(
        outDir,
        (entry) => {
          const book = toStoredBook(entry);
          if (book) recorded.set(entry.ebook, book);
          else recorded.delete(entry.ebook);
          if (entry.status === 'failed') notDone.set(entry.ebook, 'failed');
          else notDone.delete(entry.ebook);
        },
        (d) => {
          if (d.ebook !== null) notDone.set(d.ebook, 'damaged');
        },
      );
      return new ManifestStore(outDir, path, log, recorded, damage, notDone);
    } catch (err) {
      throw writeError(err, outDir, path);
    }
  }

  /** The book as earlier runs recorded it ok (undefined if not, or if its last line is a failure); forgotten after. */
  take(ebook: number): RecordedBook | undefined {
    const book = this.#recorded.get(ebook);
    this.#recorded.delete(ebook);
    return book && toRecordedBook(book);
  }

  /**
   * Why earlier runs left a book not recorded ok, as read at open: its last line says it
   * `failed`, or the last line naming it is `damaged` (no record); undefined when no line names it
   * (never tried, or the manifest was deleted or cut) and when it is recorded ok.
   */
  notDoneReason(ebook: number): 'failed' | 'damaged' | undefined {
    return this.#notDone.get(ebook);
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

/**
 * A RecordedBook as the store holds it until it is taken: both sha256s in one 64-char one-byte
 * string (their 64 bytes; two hex strings took twice that: 75,000 books, 18 MB with no sha256,
 * 24 MB so, 30 MB as hex; measured with ManifestStore.open, heap after gc).
 */
type StoredBook = Omit<RecordedBook, 'rawSha256' | 'cleanSha256'> & { digests: string | null };

function toStoredBook(e: ManifestEntry): StoredBook | null {
  if (e.status !== 'ok' || !e.rawFile || !e.cleanFile || typeof e.rawBytes !== 'number' || typeof e.cleanBytes !== 'number') return null;
  const rawSha256 = sha256Of(e.rawSha256);
  const cleanSha256 = sha256Of(e.cleanSha256);
  return {
    ebook: e.ebook, rawFile: e.rawFile, cleanFile: e.cleanFile, rawBytes: e.rawBytes, cleanBytes: e.cleanBytes,
    rawMtimeMs: typeof e.rawMtimeMs === 'number' ? e.rawMtimeMs : null,
    cleanMtimeMs: typeof e.cleanMtimeMs === 'number' ? e.cleanMtimeMs : null,
    digests: rawSha256 && cleanSha256 ? Buffer.from(rawSha256 + cleanSha256, 'hex').toString('latin1') : null,
  };
}

function toRecordedBook({ digests, ...book }: StoredBook): RecordedBook {
  const hex = digests === null ? null : Buffer.from(digests, 'latin1').toString('hex');
  return { ...book, rawSha256: hex && hex.slice(0, 64), cleanSha256: hex && hex.slice(64) };
}

/** A recorded sha256, or null when the line has none (or something else there). */
function sha256Of(value: unknown): string | null {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value) ? value : null;
}

function writeError(err: unknown, outDir: string, path: string, ebook?: number): FanoutError {
  const ctx = { file: path, ...(ebook !== undefined ? { ebook } : {}) };
  return storageFault(err, outDir, ctx) ?? new FanoutError('WRITE_FAILED', `Cannot write the manifest ${path}: ${(err as Error).message}`, { ...ctx, folder: outDir }, { cause: err });
}

/**
 * A manifest line that is not a whole record. A torn last line (not ended by a newline: a run
 * killed while appending it) is how a crash ends the file, not damage: the next run cuts it off
 * (AppendLog.open). Any other bad line is damage (an edit, a disk that lost a write): it is
 * reported, never dropped silently, since the book it recorded loses its record.
 */
export interface ManifestDamage {
  /** 1-based. */
  line: number;
  /** The book the line was about, when that can still be read from it. */
  ebook: number | null;
  /** What is wrong with it, e.g. "is not a whole JSON record". */
  why: string;
  /** The last line, not ended by a newline. */
  torn: boolean;
  /** A later whole line of the same book (its record now), if any: nothing of it was lost. */
  laterLine: number | null;
}

/** The manifest's records (the last line of each book winning) and its lines that are none. */
export interface ManifestRead {
  entries: Map<number, ManifestEntry>;
  damage: ManifestDamage[];
}

/** The manifest's entries, the last line of each book winning; empty when there is none. Lines that are no record are left out: `readManifestChecked` lists them. */
export async function readManifest(outDir: string): Promise<Map<number, ManifestEntry>> {
  return (await readManifestChecked(outDir)).entries;
}

/** `readManifest`, with the lines that are no record (which line, why, which book). */
export async function readManifestChecked(outDir: string): Promise<ManifestRead> {
  const entries = new Map<number, ManifestEntry>();
  const lineOf = new Map<number, number>();
  const damage = await forEachManifestLine(outDir, (entry, line) => {
    entries.set(entry.ebook, entry);
    lineOf.set(entry.ebook, line);
  });
  for (const d of damage) {
    const later = d.ebook === null ? undefined : lineOf.get(d.ebook);
    d.laterLine = later !== undefined && later > d.line ? later : null;
  }
  return { entries, damage };
}

/** The ebook number a damaged line still shows (its first `"ebook":N`), or null. */
function ebookOf(line: string): number | null {
  const m = /"ebook"\s*:\s*(\d{1,15})\b/.exec(line);
  return m ? Number(m[1]) : null;
}

/** Where, in a line that does not parse, a whole record starts after a piece of another (a torn line glued to the next), or -1. */
function gluedRecordStart(line: string): number {
  return line.lastIndexOf('{"ebook":');
}

/**
 * Calls `onEntry` for each whole record in file order (streamed: one line in memory at a time),
 * and returns the lines that are none. A line that does not parse but ends in a whole record (a
 * torn line that a run of an older version glued the next one to; zeroed bytes before it) gives
 * that record, and its lost start is reported.
 */
async function forEachManifestLine(
  outDir: string,
  onEntry: (entry: ManifestEntry, line: number) => void,
  onDamage: (d: ManifestDamage) => void = () => {},
): Promise<ManifestDamage[]> {
  const damage: ManifestDamage[] = [];
  const input = createReadStream(join(outDir, MANIFEST_FILE), { encoding: 'utf8' });
  try {
    await once(input, 'open');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return damage;
    throw err;
  }
  const take = (text: string, line: number, last: boolean) => {
    if (!text.trim()) return;
    const add = (d: ManifestDamage) => {
      damage.push(d);
      onDamage(d);
    };
    const bad = (why: string, ebook = ebookOf(text)) => add({ line, ebook, why, torn: false, laterLine: null });
    // A last line without its newline was being written when the run stopped: not a record yet.
    if (last && lastChar !== '\n') {
      add({ line, ebook: ebookOf(text), why: 'is cut short (no newline at its end): a write a stopped run left unfinished', torn: true, laterLine: null });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      const at = gluedRecordStart(text);
      const glued = at > 0 ? parseRecord(text.slice(at)) : null;
      if (glued) {
        bad(`${describeUnparsed(text.slice(0, at))} before the record of ebook ${glued.ebook} (read)`, ebookOf(text.slice(0, at)));
        onEntry(glued, line);
      } else {
        bad(describeUnparsed(text));
      }
      return;
    }
    const problem = manifestRecordProblem(value);
    if (problem) bad(problem);
    else onEntry(value as ManifestEntry, line);
  };
  // Each line is taken once the next one is read: only then is it known whether it is the last.
  let pending: string | null = null;
  let n = 0;
  const lines = createInterface({ input, crlfDelay: Infinity });
  // Beside readline (attached after it, so it misses no chunk): whether the file ends on a newline.
  let lastChar = '';
  input.on('data', (chunk: string | Buffer) => {
    if (chunk.length > 0) lastChar = String(chunk).slice(-1);
  });
  for await (const text of lines) {
    if (pending !== null) take(pending, n, false);
    pending = text;
    n++;
  }
  if (pending !== null) take(pending, n, true);
  return damage;
}

function parseRecord(text: string): ManifestEntry | null {
  try {
    const value: unknown = JSON.parse(text);
    return manifestRecordProblem(value) === null ? (value as ManifestEntry) : null;
  } catch {
    return null;
  }
}

function describeUnparsed(text: string): string {
  // A crash can leave a block of zeros where a write had not reached the disk.
  if (/^\0+$/.test(text)) return `holds ${text.length} NUL bytes (a write the disk lost in a crash)`;
  return 'is not a whole JSON record (cut short, or overwritten)';
}

/**
 * The warning a re-run gives for the damaged lines it read past (none when there are none): which
 * lines, why, and that their books, unless a later line records them, are fetched again.
 */
export function manifestDamageNote(damage: readonly ManifestDamage[]): string | null {
  const bad = damage.filter((d) => !d.torn);
  if (bad.length === 0) return null;
  const shown = bad.slice(0, 5).map((d) => `line ${d.line}${d.ebook !== null ? ` (ebook ${d.ebook})` : ''} ${d.why}`);
  const more = bad.length > shown.length ? `; and ${bad.length - shown.length} more` : '';
  return `${MANIFEST_FILE}: ${bad.length} damaged line(s) are no record: ${shown.join('; ')}${more}. Their books count as not done unless a later line records them (\`fanout verify corpus\` lists them)`;
}
