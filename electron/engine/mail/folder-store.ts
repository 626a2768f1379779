import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, utimes, writeFile, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { FanoutError } from '../core/fanout-error';

/** One line of a folder's `index.jsonl`: one archived message of one generation (UIDVALIDITY). */
export interface IndexRecord {
  uid: number;
  /** UIDVALIDITY of the generation, as a decimal string (it is a 32-bit unsigned on the wire). */
  uidValidity: string;
  messageId: string | null;
  /** INTERNALDATE, ISO 8601. */
  internalDate: string;
  flags: string[];
  /** Bytes of the .eml file (= RFC822.SIZE). */
  size: number;
  sha256: string;
  subject: string | null;
  from: string | null;
  /** The .eml file, relative to the folder directory, "/"-separated. */
  file: string;
}

export interface Generation {
  uidValidity: string;
  /** Directory of the generation, relative to the folder directory ("" = the folder directory). */
  dir: string;
}

/** `state.json` of a folder: written only after the files it vouches for are on disk. */
export interface FolderState {
  version: 1;
  path: string;
  generations: Generation[];
  /** What the last complete run saw: lets a run with nothing new skip the folder without SELECT. */
  synced: { uidValidity: string; uidNext: number; highestModseq: string | null; messages: number } | null;
}

export interface MessageMeta {
  uid: number;
  uidValidity: string;
  internalDate: Date;
  flags: string[];
  messageId: string | null;
  subject: string | null;
  from: string | null;
}

const recKey = (uidValidity: string, uid: number) => `${uidValidity}:${uid}`;

/** Writes `data` to `path` through a temp file in the same directory and a rename: never half-written. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Reads `index.jsonl` line by line (never whole); `onBad` is told of each line that is not a record. */
export async function* readIndexFile(file: string, onBad?: () => void): AsyncGenerator<IndexRecord> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    for await (const line of fh.readLines({ encoding: 'utf8', autoClose: false })) {
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

/**
 * Cuts a torn last line (a run killed in the middle of an append) off the index, so that the next
 * appended line starts on a line of its own. Returns true when something was cut.
 */
async function truncateTornTail(file: string): Promise<boolean> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r+');
  } catch {
    return false;
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) return false;
    const block = Buffer.alloc(64 * 1024);
    await fh.read(block, 0, 1, size - 1);
    if (block[0] === 0x0a) return false;
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - block.length);
      const { bytesRead } = await fh.read(block, 0, end - start, start);
      const at = block.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (at >= 0) {
        await fh.truncate(start + at + 1);
        return true;
      }
      end = start;
    }
    await fh.truncate(0);
    return true;
  } finally {
    await fh.close();
  }
}

/** A message written piece by piece (fetched in partial ranges), so that only one piece is in memory. */
export interface MessageWriter {
  /** Bytes written so far. */
  readonly bytes: number;
  write(piece: Uint8Array): Promise<void>;
  /** Sets mtime, renames to the final name, appends the index line. */
  commit(): Promise<IndexRecord>;
  /** Drops the temp file. */
  abort(): Promise<void>;
}

/**
 * The archive of one folder on disk: its generations, its `.eml` files and its index.
 *
 * Invariants: an `.eml` file under its final name is complete (written to a `.tmp-*` name, mtime
 * set, then renamed); an index line is appended only after its file is renamed; `state.json` is
 * written only when everything it claims is on disk. So an interrupted run leaves at most a few
 * complete files without an index line (recovered by the next run, not fetched again) and temp
 * files (removed).
 *
 * Memory: the index is streamed, never held. Per message only its UID is kept (a set per
 * generation); flags reported by the server wait in a map until `compact()` rewrites the index,
 * and the identities used to link messages across generations are read only when a folder's
 * UIDVALIDITY changed.
 */
export class FolderStore {
  readonly dir: string;
  readonly path: string;
  state: FolderState;
  /** Archived UIDs per generation (UIDVALIDITY). */
  readonly #uids = new Map<string, Set<number>>();
  /** "uidValidity:uid" → sorted flags the server reported; written by `compact()`. */
  readonly #flagUpdates = new Map<string, string[]>();
  /** messageId|size|internalDate → record of an older generation; loaded by `loadIdentities()`. */
  #byIdentity: Map<string, IndexRecord> | null = null;
  /** Appends, rewrites and state writes of the index, in order. */
  #chain: Promise<void> = Promise.resolve();
  /** The index, open for appending (lazily), and lines waiting for the next append (group commit). */
  #indexFh: FileHandle | null = null;
  #pendingLines: string[] = [];
  #pendingWaiters: Array<{ resolve(): void; reject(err: unknown): void }> = [];
  #flushing = false;
  #dirty = false;
  readonly #madeDirs = new Set<string>();

  private constructor(dir: string, path: string, state: FolderState) {
    this.dir = dir;
    this.path = path;
    this.state = state;
  }

  get #indexFile(): string {
    return join(this.dir, 'index.jsonl');
  }

  /** Opens (or starts) the archive of a folder in `dir` (absolute), reading its state and index. */
  static async open(dir: string, path: string): Promise<FolderStore> {
    await mkdir(dir, { recursive: true });
    let state: FolderState = { version: 1, path, generations: [], synced: null };
    try {
      const parsed = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as FolderState;
      if (parsed && parsed.version === 1 && Array.isArray(parsed.generations)) state = parsed;
    } catch {
      // no state yet (or a damaged one): the index below still says what is archived
    }
    const store = new FolderStore(dir, path, state);
    // A torn last line from a killed run: the file it described is recovered as an orphan.
    await truncateTornTail(store.#indexFile);
    const genDirs = new Map<string, string>();
    for await (const rec of readIndexFile(store.#indexFile, () => (store.#dirty = true))) {
      const set = store.#set(rec.uidValidity);
      if (set.has(rec.uid)) store.#dirty = true;
      set.add(rec.uid);
      if (!genDirs.has(rec.uidValidity)) {
        const slash = rec.file.lastIndexOf('/');
        genDirs.set(rec.uidValidity, slash < 0 ? '' : rec.file.slice(0, slash));
      }
    }
    // Generations known from the index but missing from the state (a run killed before its state).
    for (const [uidValidity, d] of genDirs) {
      if (!store.state.generations.some((g) => g.uidValidity === uidValidity)) store.state.generations.push({ uidValidity, dir: d });
    }
    return store;
  }

  #set(uidValidity: string): Set<number> {
    let set = this.#uids.get(uidValidity);
    if (!set) {
      set = new Set();
      this.#uids.set(uidValidity, set);
    }
    return set;
  }

  has(uidValidity: string, uid: number): boolean {
    return this.#uids.get(uidValidity)?.has(uid) ?? false;
  }

  /** Number of messages archived in generation `uidValidity`. */
  countIn(uidValidity: string): number {
    return this.#uids.get(uidValidity)?.size ?? 0;
  }

  /** True when another generation than `uidValidity` has archived messages. */
  hasOtherGenerations(uidValidity: string): boolean {
    for (const [g, set] of this.#uids) if (g !== uidValidity && set.size > 0) return true;
    return false;
  }

  /**
   * The generation directory for `uidValidity`, creating the generation when new: the first one is
   * the folder directory itself, later ones `uidvalidity-<n>/` inside it.
   */
  generation(uidValidity: string): Generation {
    let gen = this.state.generations.find((g) => g.uidValidity === uidValidity);
    if (!gen) {
      gen = { uidValidity, dir: this.state.generations.length === 0 ? '' : `uidvalidity-${uidValidity}` };
      this.state.generations.push(gen);
    }
    return gen;
  }

  /** Reads the identities (Message-ID, size, INTERNALDATE) of the generations other than `uidValidity`, for `findSame`. */
  async loadIdentities(uidValidity: string): Promise<void> {
    await this.#chain;
    const map = new Map<string, IndexRecord>();
    for await (const rec of readIndexFile(this.#indexFile)) {
      if (rec.uidValidity !== uidValidity && rec.messageId) map.set(identityKey(rec.messageId, rec.size, rec.internalDate), rec);
    }
    this.#byIdentity = map;
  }

  /** Forgets what `loadIdentities` read. */
  releaseIdentities(): void {
    this.#byIdentity = null;
  }

  /** A record of an older generation with the same Message-ID, size and INTERNALDATE, if any (after `loadIdentities`). */
  findSame(uidValidity: string, messageId: string | null, size: number, internalDate: Date): IndexRecord | undefined {
    if (!messageId || !this.#byIdentity) return undefined;
    const rec = this.#byIdentity.get(identityKey(messageId, size, internalDate.toISOString()));
    return rec && rec.uidValidity !== uidValidity ? rec : undefined;
  }

  relFile(uidValidity: string, uid: number): string {
    const gen = this.generation(uidValidity);
    return gen.dir ? `${gen.dir}/${uid}.eml` : `${uid}.eml`;
  }

  absFile(rel: string): string {
    const abs = resolve(this.dir, ...rel.split('/'));
    if (!abs.startsWith(resolve(this.dir) + sep)) {
      throw new FanoutError('UNSAFE_PATH', `Refusing to write outside the folder directory: ${rel}`, { folder: this.path, file: rel });
    }
    return abs;
  }

  async #ensureDir(abs: string): Promise<void> {
    if (this.#madeDirs.has(abs)) return;
    await mkdir(abs, { recursive: true });
    this.#madeDirs.add(abs);
  }

  /** Removes `.tmp-*` leftovers of an interrupted run in every generation directory. */
  async removeTempFiles(): Promise<number> {
    let removed = 0;
    const dirs = new Set(['', ...this.state.generations.map((g) => g.dir)]);
    for (const d of dirs) {
      let names: string[] = [];
      try {
        names = await readdir(d ? join(this.dir, d) : this.dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (/\.tmp-[0-9a-f]+$/.test(name)) {
          await rm(join(this.dir, d, name), { force: true });
          removed++;
        }
      }
    }
    return removed;
  }

  /** UIDs of complete `.eml` files of generation `uidValidity` that have no index line (a killed run). */
  async orphanUids(uidValidity: string): Promise<number[]> {
    const gen = this.generation(uidValidity);
    let names: string[] = [];
    try {
      names = await readdir(gen.dir ? join(this.dir, gen.dir) : this.dir);
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const name of names) {
      const m = /^(\d+)\.eml$/.exec(name);
      if (m && !this.has(uidValidity, Number(m[1]))) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  async #target(meta: MessageMeta): Promise<{ rel: string; abs: string; tmp: string }> {
    const rel = this.relFile(meta.uidValidity, meta.uid);
    const abs = this.absFile(rel);
    await this.#ensureDir(abs.slice(0, abs.lastIndexOf(sep)));
    return { rel, abs, tmp: `${abs}.tmp-${randomBytes(4).toString('hex')}` };
  }

  #writeFailed(abs: string, meta: MessageMeta, err: unknown): FanoutError {
    const e = err as { message?: string };
    return new FanoutError('WRITE_FAILED', `Could not write ${abs}: ${e.message ?? String(err)}`, { folder: this.path, uid: meta.uid, file: abs }, { cause: err });
  }

  /**
   * Writes one message: temp file, mtime = INTERNALDATE, rename, then the index line. The returned
   * promise resolves only when both the file and its index line are on disk. The file is written
   * and hashed from the same buffer (no copy).
   */
  async writeMessage(source: Uint8Array, meta: MessageMeta): Promise<IndexRecord> {
    const { rel, abs, tmp } = await this.#target(meta);
    try {
      await writeFile(tmp, source);
      const t = meta.internalDate.getTime() / 1000;
      await utimes(tmp, t, t);
      await rename(tmp, abs);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw this.#writeFailed(abs, meta, err);
    }
    const rec = indexRecord(meta, source.length, createHash('sha256').update(source).digest('hex'), rel);
    await this.#append(rec);
    return rec;
  }

  /** Starts a message that arrives in pieces (a large one fetched in partial ranges). */
  async openMessage(meta: MessageMeta): Promise<MessageWriter> {
    const { rel, abs, tmp } = await this.#target(meta);
    let fh: FileHandle;
    try {
      fh = await open(tmp, 'w');
    } catch (err) {
      throw this.#writeFailed(abs, meta, err);
    }
    const hash: Hash = createHash('sha256');
    let bytes = 0;
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await fh.close();
    };
    const abort = async () => {
      await close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
    };
    return {
      get bytes() {
        return bytes;
      },
      write: async (piece) => {
        try {
          for (let off = 0; off < piece.length; ) {
            const { bytesWritten } = await fh.write(piece, off, piece.length - off);
            off += bytesWritten;
          }
        } catch (err) {
          await abort();
          throw this.#writeFailed(abs, meta, err);
        }
        hash.update(piece);
        bytes += piece.length;
      },
      commit: async () => {
        try {
          await close();
          const t = meta.internalDate.getTime() / 1000;
          await utimes(tmp, t, t);
          await rename(tmp, abs);
        } catch (err) {
          await abort();
          throw this.#writeFailed(abs, meta, err);
        }
        const rec = indexRecord(meta, bytes, hash.digest('hex'), rel);
        await this.#append(rec);
        return rec;
      },
      abort,
    };
  }

  /** Records a complete file left by an interrupted run (its metadata fetched again, its bytes hashed as a stream). */
  async adoptOrphan(meta: MessageMeta): Promise<IndexRecord> {
    const rel = this.relFile(meta.uidValidity, meta.uid);
    const abs = this.absFile(rel);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(abs)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const t = meta.internalDate.getTime() / 1000;
    const st = await stat(abs);
    if (Math.abs(st.mtimeMs / 1000 - t) > 1) await utimes(abs, t, t);
    const rec = indexRecord(meta, size, hash.digest('hex'), rel);
    await this.#append(rec);
    return rec;
  }

  /** Records, in generation `uidValidity`, a message already archived in an older generation (no new file). */
  async link(existing: IndexRecord, uidValidity: string, uid: number, flags: string[]): Promise<IndexRecord> {
    this.generation(uidValidity);
    const rec: IndexRecord = { ...existing, uid, uidValidity, flags: [...flags].sort() };
    await this.#append(rec);
    return rec;
  }

  /** Notes the flags the server reports for an archived message; `compact()` writes those that changed. */
  updateFlags(uidValidity: string, uid: number, flags: Iterable<string>): void {
    if (!this.has(uidValidity, uid)) return;
    this.#flagUpdates.set(recKey(uidValidity, uid), [...flags].sort());
    this.#dirty = true;
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(op);
    this.#chain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /**
   * Appends an index line; resolves once it is written. Lines that arrive while an append is in
   * progress go together in the next one, on a handle kept open (no open/close per message).
   */
  #append(rec: IndexRecord): Promise<void> {
    this.#set(rec.uidValidity).add(rec.uid);
    return new Promise<void>((resolve, reject) => {
      this.#pendingLines.push(`${JSON.stringify(rec)}\n`);
      this.#pendingWaiters.push({ resolve, reject });
      if (!this.#flushing) void this.#flush();
    }).catch((err: unknown) => {
      throw new FanoutError('WRITE_FAILED', `Could not update the index of ${this.path}: ${(err as Error).message}`, { folder: this.path, uid: rec.uid }, { cause: err });
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#pendingLines.length > 0) {
        const text = this.#pendingLines.join('');
        const waiters = this.#pendingWaiters;
        this.#pendingLines = [];
        this.#pendingWaiters = [];
        try {
          await this.#enqueue(async () => {
            this.#indexFh ??= await open(this.#indexFile, 'a');
            await this.#indexFh.write(text);
          });
          for (const w of waiters) w.resolve();
        } catch (err) {
          for (const w of waiters) w.reject(err);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #closeIndex(): Promise<void> {
    const fh = this.#indexFh;
    this.#indexFh = null;
    if (fh) await fh.close();
  }

  /** Closes the index handle once pending lines are written (the store stays usable: it reopens on demand). */
  close(): Promise<void> {
    return this.#enqueue(() => this.#closeIndex());
  }

  /**
   * Rewrites the index as a stream (one line per message, the latest flags, damaged lines dropped)
   * when anything changed in place; lines stay in the order they were archived. Returns the number
   * of records whose flags changed.
   */
  compact(force = false): Promise<number> {
    return this.#enqueue(async () => {
      if (!this.#dirty && !force) return 0;
      await this.#closeIndex();
      const file = this.#indexFile;
      const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
      const out = await open(tmp, 'w');
      const seen = new Map<string, Set<number>>();
      let changed = 0;
      try {
        let pending: string[] = [];
        let pendingBytes = 0;
        for await (const rec of readIndexFile(file)) {
          let uids = seen.get(rec.uidValidity);
          if (!uids) seen.set(rec.uidValidity, (uids = new Set()));
          if (uids.has(rec.uid)) continue;
          uids.add(rec.uid);
          const flags = this.#flagUpdates.get(recKey(rec.uidValidity, rec.uid));
          if (flags && !(flags.length === rec.flags.length && flags.every((f, i) => f === rec.flags[i]))) {
            rec.flags = flags;
            changed++;
          }
          const line = `${JSON.stringify(rec)}\n`;
          pending.push(line);
          pendingBytes += line.length;
          if (pendingBytes >= 256 * 1024) {
            await out.write(pending.join(''));
            pending = [];
            pendingBytes = 0;
          }
        }
        if (pending.length > 0) await out.write(pending.join(''));
        await out.close();
        await rename(tmp, file);
      } catch (err) {
        await out.close().catch(() => undefined);
        await rm(tmp, { force: true }).catch(() => undefined);
        throw err;
      }
      this.#flagUpdates.clear();
      this.#dirty = false;
      return changed;
    });
  }

  saveState(): Promise<void> {
    return this.#enqueue(() => writeFileAtomic(join(this.dir, 'state.json'), `${JSON.stringify(this.state, null, 2)}\n`));
  }
}

function identityKey(messageId: string, size: number, internalDateIso: string): string {
  return `${messageId}\u0000${size}\u0000${internalDateIso}`;
}

/** The index line of a message whose bytes (`size`, `sha256`) are on disk at `rel`. */
function indexRecord(meta: MessageMeta, size: number, sha256: string, rel: string): IndexRecord {
  return {
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
}
