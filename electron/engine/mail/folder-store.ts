import { statSync } from 'node:fs';
import { mkdir, open, readdir, stat, utimes } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { layoutError } from './archive-layout';
import { earlyScanOf, mtimeIsInternalDate, sameDisk, scanMessageFiles } from './disk-record';
import { FanoutError } from '../core/fanout-error';
import { isInside } from '../output/safe-path';
import { generationDirsOf, generationFor, Identities, readFolderState, writeFolderState, type DiskRecord, type FolderState, type Generation } from './generations';
import { announcedSize, IndexLog, indexRecord, readIndexFile, recKey, truncateTornTail, type IndexRecord } from './index-file';
import { hashFile, holdMessageFile, openStreamedMessageFile, type HeldMessageFile, type MessageBytes } from './message-file';
import { storedFlags, type MessageMeta } from './message-meta';
import { orphanUids, removeTempFiles } from './recovery';

/** A message written piece by piece (fetched in partial ranges), so that only one piece is in memory. */
export interface MessageWriter {
  /** Bytes written so far. */
  readonly bytes: number;
  write(piece: Uint8Array): Promise<void>;
  /**
   * Makes the file durable under its final name, then appends the index line; `serverSize`, the
   * RFC822.SIZE the server announced, is recorded when it is not the body's length.
   */
  commit(serverSize?: number): Promise<IndexRecord>;
  /** Drops the temp file. */
  abort(): Promise<void>;
}

/**
 * A whole message durable in its temp file, closed (no descriptor held), waiting for a decision:
 * `commit` renames it to its final name and appends its index line, `abort` removes it.
 */
export interface HeldMessage {
  readonly bytes: number;
  /** Its FLAGS and INTERNALDATE, come after it was held (the file's mtime made durable again). */
  restamp(flags: string[], internalDate: Date): Promise<void>;
  commit(serverSize?: number): Promise<IndexRecord>;
  abort(): Promise<void>;
}

export interface FolderStoreOptions {
  /** How a directory is fsync'd before index lines naming its files are written (tests record it). */
  syncDir?: (dir: string) => Promise<void>;
  /** Read the index only when `loadIndex()` is called (a folder that may need nothing but its state). */
  deferIndex?: boolean;
}

/**
 * The archive of one folder on disk: its generations (generations.ts), its `.eml` files
 * (message-file.ts), its index (index-file.ts) and what an interrupted run left (recovery.ts).
 *
 * Invariants: an `.eml` file under its final name is complete and durable (temp file, fsync,
 * mtime, rename); an index line is written only after its file's directory is fsync'd; `state.json`
 * is written only when everything it claims is on disk, and not at all when it would not change.
 *
 * Memory: the index is streamed, never held. Per message only its UID and size are kept (a map per
 * generation; its file too where it is not `<uid>.eml` in its generation's directory: a link);
 * flags reported by the server wait in a map until `compact()`, and the identities used to link
 * messages across generations are read only when a folder's UIDVALIDITY changed.
 */
/** An index line's INTERNALDATE (ISO 8601) in whole seconds, as a file's mtime is compared with it. */
const dateSec = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

export class FolderStore {
  readonly dir: string;
  readonly path: string;
  state: FolderState;
  /** Archived UIDs per generation (UIDVALIDITY), each with its size (the index's, for `checkFiles`). */
  readonly #uids = new Map<string, Map<number, number>>();
  /**
   * The RFC822.SIZE the server announced, by `recKey`, for the few lines whose file is of another
   * length (`serverSize`: a server approximating sizes); `#uids` holds the files' lengths.
   */
  readonly #announced = new Map<string, number>();
  /** Archived UIDs per generation, each with its INTERNALDATE in whole seconds (its file's mtime, for `checkFiles`). */
  readonly #dates = new Map<string, Map<number, number>>();
  /** "uidValidity:uid" → the record's file, where it is not `<uid>.eml` in the generation's directory (a link to an older one). */
  readonly #elsewhere = new Map<string, string>();
  /** "uidValidity:uid" whose line is to be replaced (the file was lost or damaged): `compact()` keeps their last line. */
  readonly #replaced = new Set<string>();
  /** Whether the folder's files and index are as the last complete run left them (`checkDisk`); null: not checked. */
  #diskAsSynced: boolean | null = null;
  /** "uidValidity:uid" → sorted flags the server reported; written by `compact()` when they differ. */
  readonly #flagUpdates = new Map<string, string[]>();
  #identities: Identities | null = null;
  readonly #log: IndexLog;
  /** Duplicate or damaged index lines seen when opening: the next `compact()` rewrites the index. */
  #damaged = false;
  #indexLoaded = false;
  #stateOnDisk: string | null;
  readonly #madeDirs = new Set<string>();
  /** Each generation's directory (by its `dir`), resolved and checked inside the folder once (`#messagePath`). */
  readonly #genDirs = new Map<string, string>();

  private constructor(dir: string, path: string, state: FolderState, stateOnDisk: string | null, opts: FolderStoreOptions) {
    this.dir = dir;
    this.path = path;
    this.state = state;
    this.#stateOnDisk = stateOnDisk;
    this.#log = new IndexLog(join(dir, 'index.jsonl'), path, opts.syncDir);
  }

  /** Opens (or starts) the archive of a folder in `dir` (absolute), reading its state and index. */
  static async open(dir: string, path: string, opts: FolderStoreOptions = {}): Promise<FolderStore> {
    await mkdir(dir, { recursive: true }).catch((err: unknown) => Promise.reject(layoutError(err, dir, `The directory of ${path}`, { folder: path })));
    const { state, text } = await readFolderState(join(dir, 'state.json'), path);
    const store = new FolderStore(dir, path, state, text, opts);
    if (!opts.deferIndex) await store.loadIndex();
    return store;
  }

  /**
   * Reads the index (the UIDs of each generation; once). `open` does it unless `deferIndex`: a
   * folder LIST-STATUS shows unchanged needs only its state, and at 50,000 messages reading every
   * index was most of a run with nothing new.
   */
  async loadIndex(): Promise<void> {
    if (this.#indexLoaded) return;
    this.#indexLoaded = true;
    // A torn last line from a killed run: the file it described is recovered as an orphan.
    await truncateTornTail(this.#log.file);
    const genDirs = new Map<string, string>();
    for (const g of this.state.generations) genDirs.set(g.uidValidity, g.dir);
    for await (const rec of readIndexFile(this.#log.file, () => (this.#damaged = true))) {
      const set = this.#set(rec.uidValidity);
      if (set.has(rec.uid)) this.#damaged = true;
      // The first line of a UID stands (compaction keeps it).
      else {
        set.set(rec.uid, rec.size);
        this.#datesOf(rec.uidValidity).set(rec.uid, dateSec(rec.internalDate));
        if (announcedSize(rec) !== rec.size) this.#announced.set(recKey(rec.uidValidity, rec.uid), announcedSize(rec));
      }
      const slash = rec.file.lastIndexOf('/');
      const dir = slash < 0 ? '' : rec.file.slice(0, slash);
      if (!genDirs.has(rec.uidValidity)) genDirs.set(rec.uidValidity, dir);
      if (dir !== genDirs.get(rec.uidValidity) || rec.file.slice(slash + 1) !== `${rec.uid}.eml`) this.#elsewhere.set(recKey(rec.uidValidity, rec.uid), rec.file);
    }
    // Generations known from the index but missing from the state (a run killed before its state).
    for (const [uidValidity, d] of genDirs) {
      if (!this.state.generations.some((g) => g.uidValidity === uidValidity)) this.state.generations.push({ uidValidity, dir: d });
    }
  }

  /** The UIDs are only known once the index is read: using them before is a bug, not an empty folder. */
  #needIndex(): void {
    if (!this.#indexLoaded) throw new FanoutError('INTERNAL', `The index of ${this.path} was used before it was read`, { folder: this.path });
  }

  #set(uidValidity: string): Map<number, number> {
    this.#needIndex();
    let set = this.#uids.get(uidValidity);
    if (!set) {
      set = new Map();
      this.#uids.set(uidValidity, set);
    }
    return set;
  }

  #datesOf(uidValidity: string): Map<number, number> {
    let dates = this.#dates.get(uidValidity);
    if (!dates) {
      dates = new Map();
      this.#dates.set(uidValidity, dates);
    }
    return dates;
  }

  has(uidValidity: string, uid: number): boolean {
    this.#needIndex();
    return this.#uids.get(uidValidity)?.has(uid) ?? false;
  }

  /**
   * Whether the message archived as `uid` of generation `uidValidity` has this size (the server's
   * RFC822.SIZE as announced when it was archived) and INTERNALDATE
   * (whole seconds, as the index records it); null when it is not archived (`renamed-folders.ts`).
   */
  sameAs(uidValidity: string, uid: number, size: number, internalDate: Date): boolean | null {
    this.#needIndex();
    const archived = this.#uids.get(uidValidity)?.get(uid);
    if (archived === undefined) return null;
    const announced = this.#announced.get(recKey(uidValidity, uid)) ?? archived;
    return announced === size && this.#dates.get(uidValidity)?.get(uid) === Math.floor(internalDate.getTime() / 1000);
  }

  /** The file (relative to the folder's directory) of `uid` archived in generation `uidValidity`, or undefined when it is not archived. */
  fileOf(uidValidity: string, uid: number): string | undefined {
    if (!this.has(uidValidity, uid)) return undefined;
    return this.#elsewhere.get(recKey(uidValidity, uid)) ?? this.relFile(uidValidity, uid);
  }

  /** Number of messages archived in generation `uidValidity`. */
  countIn(uidValidity: string): number {
    this.#needIndex();
    return this.#uids.get(uidValidity)?.size ?? 0;
  }

  /** True when no generation has an archived message (the folder's first run). */
  isEmpty(): boolean {
    this.#needIndex();
    for (const set of this.#uids.values()) if (set.size > 0) return false;
    return true;
  }

  /** True when another generation than `uidValidity` has archived messages. */
  hasOtherGenerations(uidValidity: string): boolean {
    this.#needIndex();
    for (const [g, set] of this.#uids) if (g !== uidValidity && set.size > 0) return true;
    return false;
  }

  /** The generation for `uidValidity`, created when new (see generations.ts). */
  generation(uidValidity: string): Generation {
    return generationFor(this.state.generations, uidValidity);
  }

  /** Reads the identities of the generations other than `uidValidity`, for `findSame`. */
  async loadIdentities(uidValidity: string): Promise<void> {
    this.#identities = await this.#log.enqueue(() => Identities.load(this.#log.file, uidValidity));
  }

  releaseIdentities(): void {
    this.#identities = null;
  }

  /** A record of an older generation with the same Message-ID, size and INTERNALDATE, if any (after `loadIdentities`). */
  findSame(messageId: string | null, size: number, internalDate: Date): IndexRecord | undefined {
    return this.#identities?.findSame(messageId, size, internalDate);
  }

  relFile(uidValidity: string, uid: number): string {
    const gen = this.generation(uidValidity);
    return gen.dir ? `${gen.dir}/${uid}.eml` : `${uid}.eml`;
  }

  absFile(rel: string): string {
    const abs = resolve(this.dir, ...rel.split('/'));
    if (!isInside(this.dir, abs)) {
      throw new FanoutError('UNSAFE_PATH', `Refusing to write outside the folder directory: ${rel}`, { folder: this.path, file: rel });
    }
    return abs;
  }

  /**
   * UIDs of generation `uidValidity` the index names whose file is gone, not a file, or whose size
   * is not the index's (torn, truncated, overwritten): a readdir of the generation's directory and a
   * stat per file (synchronous, in slices: ~6 µs each where a promise's stat cost ~20). A file of
   * the index's size whose mtime is not its INTERNALDATE (every archived file is given it) was
   * rewritten or touched since: it is hashed against its index line, and given its mtime back when
   * it is the same bytes, else it is one of the UIDs. Damage that keeps both size and mtime needs
   * the hashes of every file: `fanout verify mail`.
   */
  async checkFiles(uidValidity: string): Promise<number[]> {
    const set = this.#uids.get(uidValidity);
    if (!set || set.size === 0) return [];
    const dates = this.#dates.get(uidValidity);
    // The generation's directory (any UID's file is in it).
    const { dir } = this.#messagePath(uidValidity, 1);
    const names = new Set(await readdir(dir).catch(() => [] as string[]));
    const bad: number[] = [];
    const touched = new Map<number, string>();
    let n = 0;
    for (const [uid, size] of set) {
      if (++n % 512 === 0) await new Promise((r) => setImmediate(r));
      const other = this.#elsewhere.get(recKey(uidValidity, uid));
      if (other === undefined && !names.has(`${uid}.eml`)) {
        bad.push(uid);
        continue;
      }
      const abs = other === undefined ? `${dir}${dir.endsWith(sep) ? '' : sep}${uid}.eml` : this.absFile(other);
      const st = statSync(abs, { throwIfNoEntry: false });
      if (!st || !st.isFile() || st.size !== size) bad.push(uid);
      else if (dates?.has(uid) && !mtimeIsInternalDate(st.mtimeMs, dates.get(uid)!)) touched.set(uid, abs);
    }
    if (touched.size > 0) bad.push(...(await this.#rehash(uidValidity, touched)));
    return bad.sort((a, b) => a - b);
  }

  /**
   * Of `files` (UID → absolute file, whole in size but not at their INTERNALDATE), the UIDs whose
   * bytes are not their index line's sha256; the others get their mtime back (INTERNALDATE), so
   * that the folder's `DiskRecord` is the same as before they were touched.
   */
  async #rehash(uidValidity: string, files: Map<number, string>): Promise<number[]> {
    const lines = new Map<number, IndexRecord>();
    await this.#log.enqueue(async () => {
      for await (const rec of readIndexFile(this.#log.file)) {
        if (rec.uidValidity === uidValidity && files.has(rec.uid) && !lines.has(rec.uid)) lines.set(rec.uid, rec);
      }
    });
    const bad: number[] = [];
    for (const [uid, abs] of files) {
      const rec = lines.get(uid);
      const now = rec ? await hashFile(abs).catch(() => null) : null;
      if (!rec || !now || now.size !== rec.size || now.sha256 !== rec.sha256) {
        bad.push(uid);
        continue;
      }
      const t = Date.parse(rec.internalDate) / 1000;
      await utimes(abs, t, t).catch(() => undefined);
    }
    return bad;
  }

  /**
   * Takes `uids` (files lost or damaged, `checkFiles`) out of what is archived, so that the plan
   * fetches them again; their index lines stay until the new ones are written (`compact()` then
   * keeps the last line of each: a run that stops before leaves the index as it was).
   */
  forget(uidValidity: string, uids: Iterable<number>): void {
    const set = this.#set(uidValidity);
    for (const uid of uids) {
      if (!set.delete(uid)) continue;
      this.#dates.get(uidValidity)?.delete(uid);
      const key = recKey(uidValidity, uid);
      this.#elsewhere.delete(key);
      this.#replaced.add(key);
      this.#damaged = true;
    }
  }

  /** What the folder's disk holds, for `state.json`'s `synced` (`checkDisk` compares it on the next run). */
  async diskRecord(): Promise<DiskRecord> {
    const [eml, index] = await Promise.all([scanMessageFiles(this.#generationDirs()), stat(this.#log.file).catch(() => null)]);
    return { ...eml, indexBytes: index?.size ?? 0 };
  }

  /**
   * True when the folder's message files and index are as its last complete run recorded them
   * (`synced`'s `DiskRecord`: the `.eml` files' count, bytes and mtimes, the index's bytes): a readdir
   * per generation, a stat per file and one of the index, no index read. A file deleted, torn,
   * overwritten or touched, or an index line lost since, makes the folder planned again, where
   * `checkFiles` and the orphans find what to fetch or take back. A record from before session 15
   * (no `.eml` bytes) plans the folder once. Cached: `isUpToDate` reads it.
   */
  async checkDisk(): Promise<boolean> {
    if (this.#diskAsSynced !== null) return this.#diskAsSynced;
    const synced = this.state.synced;
    if (!synced || synced.emlBytes === undefined) return (this.#diskAsSynced = false);
    // The scan started while the quick listing was on the wire (`startDiskScans`), when there is one.
    const gens = this.#generationDirs();
    const [eml, index] = await Promise.all([earlyScanOf(this.dir, gens).then((e) => e ?? scanMessageFiles(gens)), stat(this.#log.file).catch(() => null)]);
    return (this.#diskAsSynced = sameDisk(synced, { ...eml, indexBytes: index?.size ?? 0 }));
  }

  /** `checkDisk`'s answer (false when it was not asked). */
  get diskAsSynced(): boolean {
    return this.#diskAsSynced === true;
  }

  /** Absolute directories of the generations (the folder's own first). */
  #generationDirs(): string[] {
    return generationDirsOf(this.dir, this.state.generations);
  }

  /** Removes temp files of an interrupted run in every generation directory. */
  removeTempFiles(): Promise<number> {
    return removeTempFiles([this.dir, ...this.state.generations.map((g) => (g.dir ? join(this.dir, g.dir) : this.dir))]);
  }

  /** UIDs of `.eml` files of generation `uidValidity` that have no index line (a killed run). */
  orphanUids(uidValidity: string): Promise<number[]> {
    const gen = this.generation(uidValidity);
    return orphanUids(gen.dir ? join(this.dir, gen.dir) : this.dir, (uid) => this.has(uidValidity, uid));
  }

  /** Settles once the folder may be written in (`writesAfter`); null: at once. */
  #ready: Promise<unknown> | null = null;

  /**
   * Message files wait for `ready` (folders.json, then a new generation's state.json, durable)
   * before they are created: a plan that needs nothing else from the disk hands its chunks out
   * without waiting for those fsyncs, and they run during the body FETCH's round trip. A failure
   * of `ready` fails every write with its error.
   */
  writesAfter(ready: Promise<unknown>): void {
    this.#ready = ready;
  }

  /**
   * `relFile` and `absFile` of a message, and its directory. A UID is a positive integer, so its file
   * name never leaves its generation's directory: that directory is resolved and checked inside the
   * folder once, not each message's path (path.resolve and path.relative per message were the largest
   * allocation of the write path, ~3.7 MB per 1,000 messages, session 13).
   */
  #messagePath(uidValidity: string, uid: number): { rel: string; abs: string; dir: string } {
    const rel = this.relFile(uidValidity, uid);
    if (!Number.isSafeInteger(uid) || uid <= 0) {
      const abs = this.absFile(rel);
      return { rel, abs, dir: dirname(abs) };
    }
    const key = this.generation(uidValidity).dir;
    let dir = this.#genDirs.get(key);
    if (dir === undefined) {
      dir = dirname(this.absFile(rel));
      this.#genDirs.set(key, dir);
    }
    return { rel, abs: `${dir}${dir.endsWith(sep) ? '' : sep}${uid}.eml`, dir };
  }

  async #target(meta: MessageMeta): Promise<{ rel: string; abs: string }> {
    if (this.#ready) await this.#ready;
    const { rel, abs, dir } = this.#messagePath(meta.uidValidity, meta.uid);
    if (!this.#madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#madeDirs.add(dir);
    }
    return { rel, abs };
  }

  #writeFailed(abs: string, meta: MessageMeta, err: unknown): FanoutError {
    if (err instanceof FanoutError) return err;
    // A directory where the message's file goes (EISDIR at the rename): said so, naming it.
    const laid = layoutError(err, abs, `The message file of ${this.path} UID ${meta.uid}`, { folder: this.path, uid: meta.uid });
    if (laid instanceof FanoutError) return laid;
    const e = err as { message?: string };
    return new FanoutError('WRITE_FAILED', `Could not write ${abs}: ${e.message ?? String(err)}`, { folder: this.path, uid: meta.uid, file: abs }, { cause: err });
  }

  #append(rec: IndexRecord, abs: string | null): Promise<void> {
    this.#set(rec.uidValidity).set(rec.uid, rec.size);
    this.#datesOf(rec.uidValidity).set(rec.uid, dateSec(rec.internalDate));
    const key = recKey(rec.uidValidity, rec.uid);
    if (announcedSize(rec) !== rec.size) this.#announced.set(key, announcedSize(rec));
    else this.#announced.delete(key);
    if (rec.file !== this.relFile(rec.uidValidity, rec.uid)) this.#elsewhere.set(key, rec.file);
    else this.#elsewhere.delete(key);
    return this.#log.append(rec, abs ? dirname(abs) : null);
  }

  /**
   * Writes one message durably (see message-file.ts), then its index line; resolves when both are
   * on disk. The file is written and hashed from the bytes as they came (one buffer, or the pieces
   * of the socket chunks it arrived in, written with writev: no copy into one Buffer): `holdMessage`,
   * then its `commit` at once.
   */
  async writeMessage(source: MessageBytes, meta: MessageMeta): Promise<IndexRecord> {
    return (await this.holdMessage(source, meta)).commit();
  }

  /**
   * Writes one message to its temp file durably and closes it, without its final name or index line
   * (`writeMessage`'s first steps): a body kept until the server tells whether it is the message.
   */
  async holdMessage(source: MessageBytes, meta: MessageMeta): Promise<HeldMessage> {
    const { rel, abs } = await this.#target(meta);
    let file: HeldMessageFile;
    try {
      file = await holdMessageFile(abs, source, meta.internalDate);
    } catch (err) {
      throw this.#writeFailed(abs, meta, err);
    }
    let held = meta;
    return {
      bytes: file.bytes,
      restamp: async (flags, internalDate) => {
        held = { ...held, flags: storedFlags(flags), internalDate };
        try {
          await file.restamp(internalDate);
        } catch (err) {
          throw this.#writeFailed(abs, meta, err);
        }
      },
      commit: async (serverSize) => {
        try {
          file.land();
        } catch (err) {
          throw this.#writeFailed(abs, meta, err);
        }
        const rec = indexRecord(held, file.bytes, file.sha256, rel, serverSize);
        await this.#append(rec, abs);
        return rec;
      },
      abort: () => file.drop(),
    };
  }

  /** Starts a message that arrives in pieces (a large one fetched in partial ranges). */
  async openMessage(meta: MessageMeta): Promise<MessageWriter> {
    const { rel, abs } = await this.#target(meta);
    let file: Awaited<ReturnType<typeof openStreamedMessageFile>>;
    try {
      file = await openStreamedMessageFile(abs, meta.internalDate);
    } catch (err) {
      throw this.#writeFailed(abs, meta, err);
    }
    return {
      get bytes() {
        return file.bytes;
      },
      write: async (piece) => {
        try {
          await file.write(piece);
        } catch (err) {
          throw this.#writeFailed(abs, meta, err);
        }
      },
      commit: async (serverSize) => {
        let sha256: string;
        try {
          sha256 = await file.commit();
        } catch (err) {
          throw this.#writeFailed(abs, meta, err);
        }
        const rec = indexRecord(meta, file.bytes, sha256, rel, serverSize);
        await this.#append(rec, abs);
        return rec;
      },
      abort: () => file.abort(),
    };
  }

  /**
   * The length of the file an interrupted run left as `uid` of generation `uidValidity` (an orphan)
   * and its last bytes (at most `max`), for the server to prove its length and last bytes (plan-folder.ts
   * `adoptOrphans`); null when it is not a regular file or cannot be read.
   */
  async orphanEnd(uidValidity: string, uid: number, max: number): Promise<{ size: number; tail: Buffer } | null> {
    const abs = this.absFile(this.relFile(uidValidity, uid));
    let fh: Awaited<ReturnType<typeof open>> | null = null;
    try {
      fh = await open(abs, 'r');
      const st = await fh.stat();
      if (!st.isFile()) return null;
      const from = Math.max(0, st.size - max);
      const tail = Buffer.alloc(st.size - from);
      for (let off = 0; off < tail.length; ) {
        const { bytesRead } = await fh.read(tail, off, tail.length - off, from + off);
        if (bytesRead === 0) return null;
        off += bytesRead;
      }
      return { size: st.size, tail };
    } catch {
      return null;
    } finally {
      await fh?.close().catch(() => undefined);
    }
  }

  /**
   * Records a file an interrupted run left without an index line when it is the message: its
   * length is `wholeSize`, the length the server proved (its bytes ending where the file ends,
   * plan-folder.ts `adoptOrphans`; or its RFC822.SIZE). Its line keeps `serverSize`, the RFC822.SIZE the server
   * announced, when that is not the file's length (as a fetched message's line does). Returns null
   * otherwise (a torn or empty file: the caller fetches the message again, which replaces it).
   */
  async adoptOrphan(meta: MessageMeta, wholeSize: number, serverSize?: number): Promise<IndexRecord | null> {
    const rel = this.relFile(meta.uidValidity, meta.uid);
    const abs = this.absFile(rel);
    const { size, sha256 } = await hashFile(abs);
    if (size !== wholeSize) return null;
    const t = meta.internalDate.getTime() / 1000;
    const st = await stat(abs);
    if (Math.abs(st.mtimeMs / 1000 - t) > 1) await utimes(abs, t, t);
    const rec = indexRecord(meta, size, sha256, rel, serverSize);
    await this.#append(rec, abs);
    return rec;
  }

  /** True when the record's file is on disk at the size its line says (a link's target must be). */
  async isWhole(rec: IndexRecord): Promise<boolean> {
    const st = await stat(this.absFile(rec.file)).catch(() => null);
    return st !== null && st.isFile() && st.size === rec.size;
  }

  /** Records, in generation `uidValidity`, a message already archived in an older generation (no new file). */
  async link(existing: IndexRecord, uidValidity: string, uid: number, flags: string[]): Promise<IndexRecord> {
    this.generation(uidValidity);
    const rec: IndexRecord = { ...existing, uid, uidValidity, flags: storedFlags(flags) };
    await this.#append(rec, null);
    return rec;
  }

  /** Notes the flags the server reports for an archived message; `compact()` writes those that changed. */
  updateFlags(uidValidity: string, uid: number, flags: Iterable<string>): void {
    if (!this.has(uidValidity, uid)) return;
    this.#flagUpdates.set(recKey(uidValidity, uid), storedFlags(flags));
  }

  #isRecorded(key: string): boolean {
    const cut = key.indexOf(':');
    return this.#uids.get(key.slice(0, cut))?.has(Number(key.slice(cut + 1))) ?? false;
  }

  /** Closes the index handle once pending lines are written (the store stays usable). */
  close(): Promise<void> {
    return this.#log.close();
  }

  /**
   * Brings the index up to date with the flags the server reported (and drops duplicate or damaged
   * lines); the file is replaced only when a line changes. Returns the records whose flags changed.
   */
  async compact(force = false): Promise<number> {
    if (!force && !this.#damaged && this.#flagUpdates.size === 0) return 0;
    const changed = await this.#log.compact(this.#flagUpdates, force || this.#damaged, this.#replaced);
    this.#flagUpdates.clear();
    // A message not written again yet keeps its old line, and its new one replaces it at the next compaction.
    for (const key of this.#replaced) if (this.#isRecorded(key)) this.#replaced.delete(key);
    this.#damaged = this.#replaced.size > 0;
    return changed;
  }

  /** Writes state.json (after everything it claims is on disk), unless nothing in it changed. */
  saveState(): Promise<void> {
    const saved = this.#log.enqueue(async () => {
      this.#stateOnDisk = await writeFolderState(join(this.dir, 'state.json'), this.state, this.#stateOnDisk);
    });
    // The folder's last group is written by now: its kept folder handles go (reopened if more come).
    void this.#log.releaseFolders().catch(() => undefined);
    return saved;
  }
}
