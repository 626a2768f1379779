import type { FileHandle } from 'node:fs/promises';
import { FanoutError } from '../core/fanout-error';
import { appendWholeOrCut, repairTornTail } from '../output/append-log';
import { openAtomicFile, openDirForSync, openRetrying, syncDirHandle } from '../output/atomic-file';
import { layoutError } from './archive-layout';
import type { MessageMeta } from './message-meta';

/** One line of a folder's `index.jsonl`: one archived message of one generation (UIDVALIDITY). */
export interface IndexRecord {
  uid: number;
  /** UIDVALIDITY of the generation, as a decimal string (it is a 32-bit unsigned on the wire). */
  uidValidity: string;
  messageId: string | null;
  /** INTERNALDATE, ISO 8601. */
  internalDate: string;
  flags: string[];
  /** Bytes of the .eml file (= RFC822.SIZE, unless `serverSize` says otherwise). */
  size: number;
  /**
   * The RFC822.SIZE the server announced, only when it is not the body's length (a server that
   * approximates it, Exchange): the message was found still there and its body archived as sent
   * (mail-worker.ts). Absent (older lines too): the server's size is `size`. Read as `announcedSize`.
   */
  serverSize?: number;
  sha256: string;
  subject: string | null;
  from: string | null;
  /** The .eml file, relative to the folder directory, "/"-separated. */
  file: string;
}

export const recKey = (uidValidity: string, uid: number): string => `${uidValidity}:${uid}`;

/** The RFC822.SIZE the server announced for an archived message (what to compare the server's answer with). */
export function announcedSize(rec: Pick<IndexRecord, 'size' | 'serverSize'>): number {
  return typeof rec.serverSize === 'number' ? rec.serverSize : rec.size;
}

/**
 * The index line of a message whose bytes (`size`, `sha256`) are on disk at `rel`; `serverSize`, the
 * server's RFC822.SIZE, is recorded only when it differs from `size`.
 */
export function indexRecord(meta: MessageMeta, size: number, sha256: string, rel: string, serverSize?: number): IndexRecord {
  const rec: IndexRecord = {
    uid: meta.uid,
    uidValidity: meta.uidValidity,
    messageId: meta.messageId,
    internalDate: meta.internalDate.toISOString(),
    flags: [...meta.flags].sort(),
    size,
    sha256,
    subject: meta.subject,
    from: meta.from,
    file: rel,
  };
  if (serverSize !== undefined && serverSize !== size) rec.serverSize = serverSize;
  return rec;
}

/** Reads `index.jsonl` line by line (never whole); `onBad` is told of each line that is not a record. */
export async function* readIndexFile(file: string, onBad?: () => void): AsyncGenerator<IndexRecord> {
  let fh: FileHandle;
  try {
    fh = await openRetrying(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw layoutError(err, file, 'The index');
  }
  try {
    for await (const line of readLinesOf(fh, file)) {
      if (!line.trim()) continue;
      let rec: IndexRecord;
      try {
        rec = JSON.parse(line) as IndexRecord;
      } catch {
        onBad?.();
        continue;
      }
      if (rec && typeof rec.uid === 'number' && typeof rec.uidValidity === 'string' && typeof rec.file === 'string') yield rec;
      else onBad?.();
    }
  } finally {
    await fh.close();
  }
}

/** The lines of an open index; a read that fails (a directory in the index's place) is `layoutError`'s, naming the file. */
async function* readLinesOf(fh: FileHandle, file: string): AsyncGenerator<string> {
  try {
    for await (const line of fh.readLines({ encoding: 'utf8', autoClose: false })) yield line;
  } catch (err) {
    throw layoutError(err, file, 'The index');
  }
}

/**
 * Cuts a torn last line (a run killed in the middle of an append) off the index, so that the next
 * appended line starts on a line of its own. Returns true when something was cut; false also when
 * the file cannot be opened (the append that follows reports that).
 */
export async function truncateTornTail(file: string): Promise<boolean> {
  return repairTornTail(file).catch(() => false);
}

interface PendingLine {
  line: string;
  /** Directory whose new entry (the message file) must be durable before this line is written. */
  dir: string | null;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * `index.jsonl`, appended to and rewritten in order (one chain for every write of the folder,
 * state.json included). Appends arriving while one is being written go together in the next
 * one (group commit), on a handle kept open; before a group is written, the directories of its
 * files are fsync'd once each, so no line ever names a file a power loss could take back.
 */
/**
 * Folder handles kept open while a folder's messages are written: each group of index lines fsyncs
 * its folder once, and `syncDir` opened, fsync'd and closed it each time (three of libuv's pool
 * hops and a FileHandle per group; profiled at 5,000 messages, N = 4: the open and close were
 * ~0.8 s of the main thread's samples against ~0.3 s for the fsyncs). An fsync applies to the
 * directory, not to the descriptor, so one opened earlier makes a rename made since durable.
 * Released when the folder's state is saved and when the log closes (a folder at a time holds one).
 */
class KeptFolders {
  readonly #handles = new Map<string, Promise<FileHandle | null>>();

  async sync(dir: string): Promise<void> {
    let h = this.#handles.get(dir);
    if (!h) {
      h = openDirForSync(dir);
      this.#handles.set(dir, h);
      // A failed open is tried again by the next group.
      h.catch(() => this.#handles.delete(dir));
    }
    const fh = await h;
    if (fh) await syncDirHandle(fh);
  }

  async release(): Promise<void> {
    const all = [...this.#handles.values()];
    this.#handles.clear();
    for (const h of all) await (await h.catch(() => null))?.close().catch(() => {});
  }
}

export class IndexLog {
  readonly file: string;
  readonly #folder: string;
  #chain: Promise<void> = Promise.resolve();
  #fh: FileHandle | null = null;
  /** Length of the file on `#fh` (read once at open, then counted: no stat per group). */
  #size = 0;
  #pending: PendingLine[] = [];
  #flushing = false;

  readonly #syncDir: (dir: string) => Promise<void>;
  readonly #kept = new KeptFolders();

  /** `syncDir`: how a directory is made durable (fsync; tests record the calls). Default: a kept handle's fsync (`KeptFolders`). */
  constructor(file: string, folder: string, syncDir?: (dir: string) => Promise<void>) {
    this.file = file;
    this.#folder = folder;
    this.#syncDir = syncDir ?? ((dir) => this.#kept.sync(dir));
  }

  /** Closes the folder handles kept for fsyncs (after the folder's state is saved; reopened on demand). */
  releaseFolders(): Promise<void> {
    return this.enqueue(() => this.#kept.release());
  }

  /** Runs `op` after every write queued before it. */
  enqueue<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(op);
    this.#chain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /** Appends a line for `rec`; resolves once it is written (after `dir` is fsync'd, when given). */
  append(rec: IndexRecord, dir: string | null): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ line: `${JSON.stringify(rec)}\n`, dir, resolve, reject });
      if (!this.#flushing) void this.#flush();
    }).catch((err: unknown) => {
      throw new FanoutError('WRITE_FAILED', `Could not update the index of ${this.#folder}: ${(err as Error).message}`, { folder: this.#folder, uid: rec.uid }, { cause: err });
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        const group = this.#pending;
        this.#pending = [];
        try {
          await this.enqueue(async () => {
            for (const d of new Set(group.map((p) => p.dir))) if (d) await this.#syncDir(d);
            if (!this.#fh) {
              // Tried again at the open-files limit (openRetrying): the first line opens the file at
              // the run's busiest moment, as the Gutenberg manifest's does.
              const fh = await openRetrying(this.file, 'a');
              this.#size = (await fh.stat().catch(async (err: unknown) => {
                await fh.close();
                throw err;
              })).size;
              this.#fh = fh;
            }
            const bytes = Buffer.from(group.map((p) => p.line).join(''), 'utf8');
            await appendWholeOrCut(this.#fh, bytes, this.#size);
            this.#size += bytes.length;
          });
          for (const p of group) p.resolve();
        } catch (err) {
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #closeHandle(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    if (fh) await fh.close();
  }

  /** Closes the handle once pending lines are written (appending reopens it on demand). */
  close(): Promise<void> {
    return this.enqueue(async () => {
      await this.#kept.release();
      await this.#closeHandle();
    });
  }

  /**
   * Rewrites the index as a stream: one line per message (the first of duplicates; the last for a
   * key in `replaced`: a message fetched again because its file was lost or damaged), the flags in
   * `flagUpdates` ("uidValidity:uid" → sorted flags), damaged lines dropped; lines keep their order.
   * The new file replaces the old one only when a line changed or `structural` says lines must go
   * (duplicates, damage): a run that found nothing new leaves index.jsonl untouched. Returns the
   * number of records whose flags changed.
   */
  compact(flagUpdates: ReadonlyMap<string, string[]>, structural: boolean, replaced: ReadonlySet<string> = new Set()): Promise<number> {
    return this.enqueue(async () => {
      await this.#closeHandle();
      // Lines left of each replaced key (a first pass, only when there are any): all but the last are dropped.
      const left = new Map<string, number>();
      if (replaced.size > 0) {
        for await (const rec of readIndexFile(this.file)) {
          const key = recKey(rec.uidValidity, rec.uid);
          if (replaced.has(key)) left.set(key, (left.get(key) ?? 0) + 1);
        }
      }
      // The atomic module's temp file: fsynced before the rename, so a crash never leaves a short index.
      const out = await openAtomicFile(this.file);
      const seen = new Map<string, Set<number>>();
      let changed = 0;
      let dropped = 0;
      try {
        let pending: string[] = [];
        let pendingBytes = 0;
        for await (const rec of readIndexFile(this.file, () => dropped++)) {
          let uids = seen.get(rec.uidValidity);
          if (!uids) seen.set(rec.uidValidity, (uids = new Set()));
          const key = recKey(rec.uidValidity, rec.uid);
          const later = left.get(key);
          if (later !== undefined) left.set(key, later - 1);
          if (uids.has(rec.uid) || (later !== undefined && later > 1)) {
            dropped++;
            continue;
          }
          uids.add(rec.uid);
          const flags = flagUpdates.get(key);
          if (flags && !(flags.length === rec.flags.length && flags.every((f, i) => f === rec.flags[i]))) {
            rec.flags = flags;
            changed++;
          }
          const line = `${JSON.stringify(rec)}\n`;
          pending.push(line);
          pendingBytes += line.length;
          if (pendingBytes >= 256 * 1024) {
            await out.handle.writeFile(pending.join('')); // writeFile loops: a short write never shortens the index
            pending = [];
            pendingBytes = 0;
          }
        }
        if (pending.length > 0) await out.handle.writeFile(pending.join('')); // writeFile loops: a short write never shortens the index
        if (changed > 0 || dropped > 0 || structural) await out.commit();
        else await out.abort();
      } catch (err) {
        await out.abort();
        throw err;
      }
      return changed;
    });
  }
}
