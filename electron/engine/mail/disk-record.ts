import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { sep } from 'node:path';
import { folderAbsDir } from './account-folders';
import type { DiskRecord } from './generations';
import { isMessageFileName } from './message-file';

/** Stats between two turns of the event loop: a socket's answer waits at most one slice (~1-2 ms). */
const SLICE = 512;

/**
 * The `.eml` part of a folder's `DiskRecord`: its `<uid>.eml` files (regular files only) in `dirs`
 * (absolute, each once), how many, their bytes, and the sum of their mtimes in whole seconds.
 *
 * A readdir per directory and a `statSync` per file, in slices of 512 between turns of the event
 * loop (a stat through the thread pool costs the main thread more than the call itself: ~3.5 µs a
 * file under load, 2 cores, against ~5-10 µs for a callback or promise stat). Whole seconds: the
 * sum stays an exact integer (50,000 files x 2e9 < 2^53) whatever order readdir gives.
 */
export async function scanMessageFiles(dirs: Iterable<string>): Promise<Omit<DiskRecord, 'indexBytes'>> {
  let files = 0;
  let emlBytes = 0;
  let emlMtimes = 0;
  let n = 0;
  for (const d of new Set(dirs)) {
    const names = await readdir(d).catch(() => [] as string[]);
    const prefix = d.endsWith(sep) ? d : d + sep;
    for (const name of names) {
      if (!isMessageFileName(name)) continue;
      if (++n % SLICE === 0) await new Promise((r) => setImmediate(r));
      const st = statSync(prefix + name, { throwIfNoEntry: false });
      if (!st || !st.isFile()) continue;
      files++;
      emlBytes += st.size;
      emlMtimes += Math.floor(st.mtimeMs / 1000);
    }
  }
  return { files, emlBytes, emlMtimes };
}

/** True when `now` is the disk `recorded` (a record without the `.eml` bytes and mtimes, from before session 15, is not). */
export function sameDisk(recorded: Partial<DiskRecord>, now: DiskRecord): boolean {
  return recorded.files === now.files && recorded.indexBytes === now.indexBytes && recorded.emlBytes === now.emlBytes && recorded.emlMtimes === now.emlMtimes;
}

/**
 * Whether a file's mtime is its message's INTERNALDATE (`internalDate`, ISO 8601), as every
 * archived file is written: 2 s of slack (FAT keeps mtimes to 2 s). One that is not was touched or
 * rewritten since: `checkFiles` hashes it against its index line.
 */
export function mtimeIsInternalDate(mtimeMs: number, internalDateSec: number): boolean {
  return !Number.isFinite(internalDateSec) || Math.abs(Math.floor(mtimeMs / 1000) - internalDateSec) <= 2;
}

/** A folder's `.eml` scan started before its store opened (`startDiskScans`), for `FolderStore.checkDisk`. */
interface EarlyScan {
  /** The generation directories it scanned (absolute, joined by NUL): used only for the same ones. */
  gens: string;
  eml: Promise<Omit<DiskRecord, 'indexBytes'>>;
}

/** An account's scans: settled once its folders.json and state.json are read and every scan is started. */
interface AccountScans {
  listed: Promise<void>;
  /** By the folder's directory (absolute). */
  folders: Map<string, EarlyScan>;
  at: number;
}

const accounts = new Map<string, AccountScans>();
/** Scans older than this are not used (a decision and its job follow each other within milliseconds). */
const MAX_AGE_MS = 10_000;

/**
 * Starts the `.eml` scans of an account's folders (`root`) whose state.json has a DiskRecord, one
 * folder after the other, so that they run while the quick listing's LOGIN and LIST-STATUS are on
 * the wire and the job takes its lock: `FolderStore.checkDisk` then takes a folder's scan instead of
 * making one. `reuse`: a scan of the account started before (under 10 s ago) is kept — the CLI's job
 * taking up its first node's listing takes that node's scans too (quick-decision.ts started them):
 * one stat pass per run, not two. Otherwise they are started afresh. Reads only.
 * `folderDirs` gives the account's folder directories (folders.json, or recovered), `generationDirs`
 * a folder's generation directories from its state.json (null: no DiskRecord, nothing to scan).
 */
export function startDiskScans(root: string, folderDirs: () => Promise<Record<string, string>>, generationDirs: (abs: string, path: string) => Promise<string[] | null>, reuse = false): void {
  const previous = accounts.get(root);
  if (reuse && previous && performance.now() - previous.at < MAX_AGE_MS) return;
  const folders = new Map<string, EarlyScan>();
  const listed = (async () => {
    const dirs = await folderDirs();
    let chain: Promise<unknown> = Promise.resolve();
    for (const [path, rel] of Object.entries(dirs)) {
      let abs: string;
      try {
        abs = folderAbsDir(root, rel, path);
      } catch {
        continue; // outside the account's folder: the job refuses it (UNSAFE_PATH), nothing to scan
      }
      const gens = await generationDirs(abs, path).catch(() => null);
      if (!gens) continue;
      const eml = chain.then(() => scanMessageFiles(gens));
      eml.catch(() => undefined);
      chain = eml.catch(() => undefined);
      folders.set(abs, { gens: gens.join('\0'), eml });
    }
  })().catch(() => undefined);
  const scans: AccountScans = { listed, folders, at: performance.now() };
  accounts.set(root, scans);
  // Forgotten once too old to be used (a long-lived process: the desktop app, the web host).
  setTimeout(() => {
    if (accounts.get(root) === scans) accounts.delete(root);
  }, MAX_AGE_MS).unref();
}

/** The scan `startDiskScans` started for the folder in `dir` over the same generation directories, if any and recent. */
export async function earlyScanOf(dir: string, gens: string[]): Promise<Omit<DiskRecord, 'indexBytes'> | null> {
  for (const scans of accounts.values()) {
    if (performance.now() - scans.at > MAX_AGE_MS) continue;
    await scans.listed;
    const s = scans.folders.get(dir);
    if (s && s.gens === gens.join('\0')) return s.eml.catch(() => null);
  }
  return null;
}
