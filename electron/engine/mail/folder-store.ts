import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, readdir, rename, rm, utimes, writeFile, stat } from 'node:fs/promises';
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

/**
 * The archive of one folder on disk: its generations, its `.eml` files and its index.
 *
 * Invariants: an `.eml` file under its final name is complete (written to a `.tmp-*` name, mtime
 * set, then renamed); an index line is appended only after its file is renamed; `state.json` is
 * written only when everything it claims is on disk. So an interrupted run leaves at most a few
 * complete files without an index line (recovered by the next run, not fetched again) and temp
 * files (removed).
 */
export class FolderStore {
  readonly dir: string;
  readonly path: string;
  state: FolderState;
  readonly #records = new Map<string, IndexRecord>();
  /** messageId|size|internalDate → record, for linking a message already archived in an older generation. */
  readonly #byIdentity = new Map<string, IndexRecord>();
  #appendChain: Promise<void> = Promise.resolve();
  #dirty = false;
  readonly #madeDirs = new Set<string>();

  private constructor(dir: string, path: string, state: FolderState) {
    this.dir = dir;
    this.path = path;
    this.state = state;
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
    let text = '';
    try {
      text = await readFile(join(dir, 'index.jsonl'), 'utf8');
    } catch {
      // no index yet
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const rec = JSON.parse(line) as IndexRecord;
        if (typeof rec.uid === 'number' && typeof rec.uidValidity === 'string') store.#remember(rec);
      } catch {
        // a torn last line from a killed run: the file it described is recovered as an orphan
        store.#dirty = true;
      }
    }
    // Generations known from the index but missing from the state (a run killed before its state).
    for (const rec of store.#records.values()) {
      if (!store.state.generations.some((g) => g.uidValidity === rec.uidValidity)) {
        const slash = rec.file.lastIndexOf('/');
        store.state.generations.push({ uidValidity: rec.uidValidity, dir: slash < 0 ? '' : rec.file.slice(0, slash) });
      }
    }
    return store;
  }

  #remember(rec: IndexRecord): void {
    this.#records.set(recKey(rec.uidValidity, rec.uid), rec);
    if (rec.messageId) this.#byIdentity.set(identityKey(rec.messageId, rec.size, rec.internalDate), rec);
  }

  has(uidValidity: string, uid: number): boolean {
    return this.#records.has(recKey(uidValidity, uid));
  }

  get(uidValidity: string, uid: number): IndexRecord | undefined {
    return this.#records.get(recKey(uidValidity, uid));
  }

  records(): IndexRecord[] {
    return [...this.#records.values()];
  }

  /** Number of messages archived in generation `uidValidity`. */
  countIn(uidValidity: string): number {
    let n = 0;
    for (const r of this.#records.values()) if (r.uidValidity === uidValidity) n++;
    return n;
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

  /** A record of an older generation with the same Message-ID, size and INTERNALDATE, if any. */
  findSame(uidValidity: string, messageId: string | null, size: number, internalDate: Date): IndexRecord | undefined {
    if (!messageId) return undefined;
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

  /**
   * Writes one message: temp file, mtime = INTERNALDATE, rename, then the index line. The returned
   * promise resolves only when both the file and its index line are on disk.
   */
  async writeMessage(source: Buffer, meta: MessageMeta): Promise<IndexRecord> {
    const rel = this.relFile(meta.uidValidity, meta.uid);
    const abs = this.absFile(rel);
    await this.#ensureDir(abs.slice(0, abs.lastIndexOf(sep)));
    const tmp = `${abs}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(tmp, source);
      const t = meta.internalDate.getTime() / 1000;
      await utimes(tmp, t, t);
      await rename(tmp, abs);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      const e = err as { message?: string };
      throw new FanoutError('WRITE_FAILED', `Could not write ${abs}: ${e.message ?? String(err)}`, { folder: this.path, uid: meta.uid, file: abs }, { cause: err });
    }
    const rec = indexRecord(meta, source, rel);
    await this.#append(rec);
    return rec;
  }

  /** Records a complete file left by an interrupted run (its metadata fetched again, its bytes hashed). */
  async adoptOrphan(meta: MessageMeta): Promise<IndexRecord> {
    const rel = this.relFile(meta.uidValidity, meta.uid);
    const abs = this.absFile(rel);
    const data = await readFile(abs);
    const t = meta.internalDate.getTime() / 1000;
    const st = await stat(abs);
    if (Math.abs(st.mtimeMs / 1000 - t) > 1) await utimes(abs, t, t);
    const rec = indexRecord(meta, data, rel);
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

  /** Updates the flags of an archived message (changed on the server); written by `compact()`. */
  updateFlags(uidValidity: string, uid: number, flags: Iterable<string>): boolean {
    const rec = this.#records.get(recKey(uidValidity, uid));
    if (!rec) return false;
    const next = [...flags].sort();
    if (next.length === rec.flags.length && next.every((f, i) => f === rec.flags[i])) return false;
    rec.flags = next;
    this.#dirty = true;
    return true;
  }

  #append(rec: IndexRecord): Promise<void> {
    this.#remember(rec);
    const line = `${JSON.stringify(rec)}\n`;
    const next = this.#appendChain.then(() => appendFile(join(this.dir, 'index.jsonl'), line));
    this.#appendChain = next.catch(() => undefined);
    return next.catch((err: unknown) => {
      throw new FanoutError('WRITE_FAILED', `Could not update the index of ${this.path}: ${(err as Error).message}`, { folder: this.path, uid: rec.uid }, { cause: err });
    });
  }

  /** Rewrites the index (one line per message, latest flags) when anything changed in place. */
  async compact(force = false): Promise<void> {
    await this.#appendChain;
    if (!this.#dirty && !force) return;
    const recs = [...this.#records.values()].sort((a, b) =>
      a.uidValidity === b.uidValidity ? a.uid - b.uid : Number(a.uidValidity) - Number(b.uidValidity),
    );
    await writeFileAtomic(join(this.dir, 'index.jsonl'), recs.map((r) => `${JSON.stringify(r)}\n`).join(''));
    this.#dirty = false;
  }

  async saveState(): Promise<void> {
    await this.#appendChain;
    await writeFileAtomic(join(this.dir, 'state.json'), `${JSON.stringify(this.state, null, 2)}\n`);
  }
}

function identityKey(messageId: string, size: number, internalDateIso: string): string {
  return `${messageId}\u0000${size}\u0000${internalDateIso}`;
}

/** The index line of a message whose bytes are on disk at `rel`. */
function indexRecord(meta: MessageMeta, bytes: Uint8Array, rel: string): IndexRecord {
  return {
    uid: meta.uid,
    uidValidity: meta.uidValidity,
    messageId: meta.messageId,
    internalDate: meta.internalDate.toISOString(),
    flags: [...meta.flags].sort(),
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    subject: meta.subject,
    from: meta.from,
    file: rel,
  };
}
