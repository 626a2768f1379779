import { join } from 'node:path';
import type { JobSummary } from '../../../shared/events';
import { MAX_RECORDING_PAGE_FRAMES, type HistoryEntry, type RunRecording, type RunRecordingPage } from '../../../shared/ipc';
import { FanoutError } from '../core/fanout-error';
import { openAtomicFile, writeFileAtomic } from '../output/atomic-file';
import { storageFault } from '../output/storage-fault';
import { makeDirs } from '../output/make-dirs';
import { readDataJson, setAsideDamaged } from './data-dir';

/** Runs kept in history at most (newest first). */
export const MAX_HISTORY = 300;
/** How long the recording being read stays parsed after the UI last asked for one of its pages. */
export const RECORDING_KEEP_MS = 10_000;

/**
 * Failures a run keeps in history.json: the list is rewritten at every job's end and sent whole to
 * the History screen, which shows counts; 300 runs of 1,000 failures each made it tens of MB. A
 * recording keeps its run's full summary for the replay.
 */
export const LISTED_FAILURES = 10;

// history.json is read as written by any earlier version, unvalidated: a summary may lack failures.
const listed = (entry: HistoryEntry): HistoryEntry =>
  Array.isArray(entry.summary.failures as unknown) && entry.summary.failures.length > LISTED_FAILURES ? { ...entry, summary: { ...entry.summary, failures: entry.summary.failures.slice(0, LISTED_FAILURES) } } : entry;

/** An entry as any version wrote it: an object with a summary object (its fields are read leniently). */
const isEntry = (e: unknown): e is HistoryEntry =>
  e !== null && typeof e === 'object' && !Array.isArray(e) && (e as { summary?: unknown }).summary !== null && typeof (e as { summary?: unknown }).summary === 'object';

const SAFE_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** A failed write of a history file: DISK_FULL (and the like) naming the data folder, else WRITE_FAILED. */
const writeFault = (err: unknown, dataDir: string, path: string): FanoutError =>
  storageFault(err, dataDir, { file: path }) ?? new FanoutError('WRITE_FAILED', `Cannot write ${path}: ${(err as Error).message}`, { file: path }, { cause: err });

/** A crash never leaves half a JSON file; a full disk is DISK_FULL naming the data folder. */
async function writeJsonAtomic(dataDir: string, path: string, value: unknown): Promise<void> {
  try {
    await writeFileAtomic(path, JSON.stringify(value));
  } catch (err) {
    throw writeFault(err, dataDir, path);
  }
}

/** A recording to write: its frames' JSON as pieces that joined make the `frames` array's body (the recorder's slabs). */
export interface RecordingToWrite {
  jobId: string;
  summary: JobSummary | null;
  /** The frames' JSON, comma-separated, in pieces written as they are. */
  framesJson(): Iterable<Uint8Array | string>;
}

const toWrite = (rec: RunRecording | RecordingToWrite): RecordingToWrite =>
  'framesJson' in rec ? rec : { jobId: rec.jobId, summary: rec.summary, framesJson: () => [rec.frames.map((f) => JSON.stringify(f)).join(',')] };

/**
 * `runs/<jobId>.json`, the same JSON as `JSON.stringify({ jobId, frames, summary })`, written piece
 * by piece: a recording at its caps is ~5 MB of text, and one string of it (two bytes a character
 * once a title has a character outside Latin-1) was the highest point of a long job's memory.
 */
async function writeRecording(dataDir: string, path: string, rec: RecordingToWrite): Promise<void> {
  try {
    const file = await openAtomicFile(path);
    try {
      // writeFile on a handle writes from its current position: each piece follows the last.
      await file.handle.writeFile(`{"jobId":${JSON.stringify(rec.jobId)},"frames":[`);
      for (const piece of rec.framesJson()) await file.handle.writeFile(piece);
      await file.handle.writeFile(`],"summary":${JSON.stringify(rec.summary)}}`);
    } catch (err) {
      await file.abort();
      throw err;
    }
    await file.commit();
  } catch (err) {
    throw writeFault(err, dataDir, path);
  }
}

/**
 * Past runs as JSON in the data dir: `history.json` (summaries) and `runs/<jobId>.json` (frame
 * recordings for replay). Writes are serialised so concurrent job ends never lose an entry.
 */
export class HistoryStore {
  #chain: Promise<unknown> = Promise.resolve();

  constructor(readonly dataDir: string) {}

  get #file(): string {
    return join(this.dataDir, 'history.json');
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch(() => {});
    return next;
  }

  /**
   * The entries, or why history.json cannot be read (not JSON, cut short, not a list of runs, a
   * read error). Reading changes nothing: the file is set aside only when a run's end is about to
   * write the history again (`add`).
   */
  async #read(): Promise<{ entries: HistoryEntry[]; damage: string | null }> {
    const read = await readDataJson(this.#file);
    if (read.kind === 'missing') return { entries: [], damage: null };
    if (read.kind === 'damaged') {
      // Another user's file (not damaged): never set aside, never written over; the error names it and the permission.
      if (read.denied) throw read.denied;
      return { entries: [], damage: read.reason };
    }
    if (!Array.isArray(read.value)) return { entries: [], damage: 'not a list of runs' };
    const bad = read.value.filter((e) => !isEntry(e)).length;
    if (bad > 0) return { entries: [], damage: `${bad} of its ${read.value.length} entries are no run` };
    return { entries: (read.value as HistoryEntry[]).map(listed), damage: null };
  }

  /**
   * The runs, newest first. A history.json that cannot be read is an error that says why and that
   * the file is kept as it is (the History screen shows it), not an empty history: the next run's
   * end sets it aside and starts a new one.
   */
  list(): Promise<HistoryEntry[]> {
    return this.#serial(async () => {
      const { entries, damage } = await this.#read();
      if (damage !== null) {
        throw new FanoutError(
          'DATA_DAMAGED',
          `The history (${this.#file}) cannot be read: ${damage}. It is kept as it is; the next run's end sets it aside as history.json.damaged-<time> and starts a new history`,
          { file: this.#file },
        );
      }
      return entries;
    });
  }

  /**
   * Adds a finished run (and its recording). A history.json that cannot be read is first set aside,
   * durably, as `history.json.damaged-<time>-<pid>` (never overwritten: the runs it held stay on
   * disk); `notices` then says so, for the job's warnings. A failed set-aside rejects, the file untouched.
   */
  add(summary: JobSummary, recording: RunRecording | RecordingToWrite | null): Promise<{ notices: string[] }> {
    return this.#serial(async () => {
      await makeDirs(join(this.dataDir, 'runs')).catch((err: unknown) => {
        throw storageFault(err, this.dataDir) ?? err;
      });
      const hasRecording = recording !== null && SAFE_ID.test(summary.jobId);
      if (hasRecording) await writeRecording(this.dataDir, join(this.dataDir, 'runs', `${summary.jobId}.json`), toWrite(recording));
      const { entries, damage } = await this.#read();
      const notices: string[] = [];
      if (damage !== null) {
        let keptAs: string;
        try {
          keptAs = await setAsideDamaged(this.#file, { kind: 'damaged', reason: damage });
        } catch (err) {
          throw storageFault(err, this.dataDir, { file: this.#file }) ??
            new FanoutError('WRITE_FAILED', `${this.#file} could not be read (${damage}) nor set aside (${(err as Error).message}); it is left as it is, this run is not in the history`, { file: this.#file }, { cause: err });
        }
        notices.push(`The history (${this.#file}) could not be read (${damage}): it was set aside as ${keptAs}, and a new history started with this run`);
      }
      entries.unshift(listed({ summary, hasRecording }));
      await writeJsonAtomic(this.dataDir, this.#file, entries.slice(0, MAX_HISTORY));
      return { notices };
    });
  }

  /**
   * The recording of a past run, or null (unknown id, or no recording). One that cannot be read
   * (cut short, not a recording, a read error) is DATA_DAMAGED saying why, not "no recording";
   * the file is left as it is (nothing writes it again).
   */
  async recording(jobId: string): Promise<RunRecording | null> {
    if (!SAFE_ID.test(jobId)) return null;
    const file = join(this.dataDir, 'runs', `${jobId}.json`);
    const read = await readDataJson(file);
    if (read.kind === 'missing') return null;
    if (read.kind === 'damaged' && read.denied) throw read.denied;
    const rec = read.kind === 'read' ? (read.value as Partial<RunRecording> | null) : null;
    const damage = read.kind === 'damaged' ? read.reason : rec === null || typeof rec !== 'object' || !Array.isArray(rec.frames) ? 'not a recording (no list of frames)' : null;
    if (damage !== null) throw new FanoutError('DATA_DAMAGED', `The recording of run ${jobId} (${file}) cannot be read: ${damage}. The run stays in the history; the file is kept as it is`, { file });
    return rec as RunRecording;
  }

  /** The recording last asked for, kept while the UI reads it a page at a time (one at most). */
  #open: { jobId: string; recording: Promise<RunRecording | null>; timer: NodeJS.Timeout | undefined } | null = null;

  /**
   * Frames [from, from + count) of a past run's recording, or null (unknown id, or no recording).
   * The file is read and parsed once for all the pages of one load: the one recording read last
   * is kept until RECORDING_KEEP_MS after its last page was asked for (a few MB at most).
   */
  async recordingPage(jobId: string, from = 0, count = MAX_RECORDING_PAGE_FRAMES): Promise<RunRecordingPage | null> {
    let open = this.#open;
    if (open?.jobId !== jobId) {
      if (open) clearTimeout(open.timer);
      open = this.#open = { jobId, recording: this.recording(jobId), timer: undefined };
    }
    clearTimeout(open.timer);
    open.timer = setTimeout(() => {
      if (this.#open === open) this.#open = null;
    }, RECORDING_KEEP_MS).unref();
    let rec: RunRecording | null;
    try {
      rec = await open.recording;
    } catch (err) {
      // Not kept: the next ask reads the file again.
      if (this.#open === open) {
        clearTimeout(open.timer);
        this.#open = null;
      }
      throw err;
    }
    if (!rec) return null;
    const n = Math.min(count, MAX_RECORDING_PAGE_FRAMES);
    const frames = rec.frames.slice(from, from + n);
    // The summary (up to 1,000 failures) once, on the page that ends the recording, not on every page.
    const last = from + frames.length >= rec.frames.length;
    return { jobId: rec.jobId, summary: last ? rec.summary : null, from, totalFrames: rec.frames.length, frames };
  }
}

