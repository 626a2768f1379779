import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { layoutError } from './archive-layout';
import { announcedSize, readIndexFile, type IndexRecord } from './index-file';
import { writeFileAtomic } from '../output/atomic-file';
import { isInside } from '../output/safe-path';

/**
 * A folder's generations: one per UIDVALIDITY the archive has seen. The first lives in the folder
 * directory itself, later ones in `uidvalidity-<n>/` inside it; messages that survive a folder
 * being recreated are linked to their older file (same Message-ID, size and INTERNALDATE) instead
 * of being fetched again.
 */
export interface Generation {
  uidValidity: string;
  /** Directory of the generation, relative to the folder directory ("" = the folder directory). */
  dir: string;
}

/**
 * What the folder's disk held when its last complete run ended: `<uid>.eml` files in its
 * generations' directories (how many, their bytes, the sum of their mtimes in whole seconds: each
 * file's mtime is its message's INTERNALDATE), and the bytes of `index.jsonl`. A run skips the
 * folder only when all are still so (`FolderStore.checkDisk`: a readdir per generation, a stat per
 * file): a file deleted, torn, overwritten or touched, or an index line lost since, makes the
 * folder planned, and planning finds the file (`checkFiles`) and fetches it again.
 */
export interface DiskRecord {
  files: number;
  indexBytes: number;
  emlBytes: number;
  emlMtimes: number;
}

/**
 * What the last complete run of a folder saw: lets a run with nothing new skip it without SELECT.
 * The `DiskRecord` fields are absent from states written before session 14 (all four) or 15
 * (`emlBytes`, `emlMtimes`): such a folder is planned once, then recorded.
 */
export interface SyncedState extends Partial<DiskRecord> {
  uidValidity: string;
  uidNext: number;
  highestModseq: string | null;
  messages: number;
}

/** `state.json` of a folder: written only after the files it vouches for are on disk. */
export interface FolderState {
  version: 1;
  path: string;
  generations: Generation[];
  synced: SyncedState | null;
  /**
   * Set when a run of all folders found the folder listed but unopenable (EXAMINE: it does not exist;
   * Dovecot keeps listing a folder deleted while it had subfolders, \HasChildren only, with no STATUS
   * in its LIST-STATUS line): `since` is when (ISO). The folder was skipped, its archive kept
   * (`synced` is the last run that archived it). A later run warns no more, and its quick listing
   * takes the folder listed again without STATUS as still so (`stillUnopenable`); a run that plans
   * the folder (it can be opened again) removes the mark.
   */
  unopenable?: { since: string };
}

const stateText = (state: FolderState) => `${JSON.stringify(state, null, 2)}\n`;

/** Reads `state.json` (a fresh state when there is none or it is damaged: the index still says what is archived). */
export async function readFolderState(file: string, path: string): Promise<{ state: FolderState; text: string | null }> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as FolderState;
    if (parsed && parsed.version === 1 && Array.isArray(parsed.generations)) return { state: parsed, text: stateText(parsed) };
  } catch (err) {
    // None yet, or damaged: the index says what is archived. A directory in its place could never
    // be written over: said now, naming it, not after the folder's messages are fetched.
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw layoutError(err, file, `The state of ${path}`, { folder: path });
  }
  return { state: { version: 1, path, generations: [], synced: null }, text: null };
}

/** Writes `state.json` unless it would say what it already says. Returns the text on disk. */
export async function writeFolderState(file: string, state: FolderState, onDisk: string | null): Promise<string> {
  const text = stateText(state);
  if (text !== onDisk) await writeFileAtomic(file, text).catch((err: unknown) => Promise.reject(layoutError(err, file, `The state of ${state.path}`, { folder: state.path })));
  return text;
}

/**
 * The absolute directories of a folder's generations (the folder's own first, each once); a
 * generation directory that would leave the folder is left out (`FolderStore.absFile` refuses it).
 */
export function generationDirsOf(dir: string, generations: readonly Generation[]): string[] {
  const inside = (abs: string) => abs === resolve(dir) || isInside(dir, abs);
  return [...new Set([dir, ...generations.map((g) => (g.dir ? resolve(dir, ...g.dir.split('/')) : dir)).filter(inside)])];
}

/** A folder's generation directories when its state.json has a whole DiskRecord (what `checkDisk` compares), else null. */
export async function recordedGenerationDirs(dir: string, path: string): Promise<string[] | null> {
  const { state } = await readFolderState(join(dir, 'state.json'), path);
  return state.synced?.emlBytes === undefined ? null : generationDirsOf(dir, state.generations);
}

/** Directory name of a generation after a folder's first, inside the folder directory. */
const generationDirName = (uidValidity: string) => `uidvalidity-${uidValidity}`;

/**
 * Whether `name`, a directory inside a folder directory, is one of the folder's generations
 * (`uidvalidity-<n>`), part of the folder's archive, not a subfolder's directory (folder-names.ts
 * never gives a folder such a name). The account walk (`folder-dir-walk.ts`) skips them.
 */
export const isGenerationDirName = (name: string): boolean => /^uidvalidity-\d+$/.test(name);

/** The generation for `uidValidity`, created (and appended to `generations`) when new. */
export function generationFor(generations: Generation[], uidValidity: string): Generation {
  let gen = generations.find((g) => g.uidValidity === uidValidity);
  if (!gen) {
    gen = { uidValidity, dir: generations.length === 0 ? '' : generationDirName(uidValidity) };
    generations.push(gen);
  }
  return gen;
}

function identityKey(messageId: string, size: number, internalDateIso: string): string {
  return `${messageId}\u0000${size}\u0000${internalDateIso}`;
}

/** Records of the generations other than `uidValidity`, by identity: read only when a folder's UIDVALIDITY changed. */
export class Identities {
  readonly #byIdentity: Map<string, IndexRecord>;
  readonly #uidValidity: string;

  private constructor(map: Map<string, IndexRecord>, uidValidity: string) {
    this.#byIdentity = map;
    this.#uidValidity = uidValidity;
  }

  static async load(indexFile: string, uidValidity: string): Promise<Identities> {
    const map = new Map<string, IndexRecord>();
    for await (const rec of readIndexFile(indexFile)) {
      if (rec.uidValidity !== uidValidity && rec.messageId) map.set(identityKey(rec.messageId, announcedSize(rec), rec.internalDate), rec);
    }
    return new Identities(map, uidValidity);
  }

  /** A record of an older generation with the same Message-ID, size and INTERNALDATE, if any. */
  findSame(messageId: string | null, size: number, internalDate: Date): IndexRecord | undefined {
    if (!messageId) return undefined;
    const rec = this.#byIdentity.get(identityKey(messageId, size, internalDate.toISOString()));
    return rec && rec.uidValidity !== this.#uidValidity ? rec : undefined;
  }
}
