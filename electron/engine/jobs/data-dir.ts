import { readFile, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { syncDir } from '../output/atomic-file';
import { errnoCode, storageFault } from '../output/storage-fault';
import { outOfResources, type FanoutError } from '../core/fanout-error';

/**
 * The per-user data dir of the web host and the CLI: $FANOUT_DATA_DIR, else ~/.fanout (the desktop
 * app keeps its own under Electron's userData). What it holds: settings, history, catalogs, and what
 * jobs learnt about servers (host-memory.ts).
 */
export function defaultDataDir(): string {
  return process.env.FANOUT_DATA_DIR ?? join(homedir(), '.fanout');
}

/**
 * What reading a JSON file of the data folder found. `damaged` with `denied`: this user may not read
 * it (EACCES/EPERM: another user's, e.g. written by `sudo fanout serve` with umask 077). That file
 * is not damaged: not to be set aside nor written over; `denied` is the error to show
 * (OUTPUT_NOT_WRITABLE naming it and the permission to fix).
 */
export type DataFileRead = { kind: 'missing' } | { kind: 'read'; value: unknown } | { kind: 'damaged'; reason: string; denied?: FanoutError };

/**
 * Reads a JSON file of the data folder: missing (a first run), its value, or why it could not be
 * read (not JSON, cut short, a read error other than ENOENT; one this user may not read says so in
 * `denied`, decided here, on this read). Nothing is changed: a damaged file is the caller's to set
 * aside (`setAsideDamaged`, given this read) before it writes the file again. Throws
 * OUT_OF_RESOURCES when the file cannot be read now (EMFILE/ENFILE/ENOMEM): not damage.
 */
export async function readDataJson(file: string): Promise<DataFileRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return { kind: 'missing' };
    // Not readable now, not damaged: this process (or the system) is at its open-files limit or out
    // of memory (the desktop host runs every job in one process). Thrown: nothing is set aside, and
    // no save writes over the file; the next read tries again. (It was "damaged": the next save set
    // the user's good file aside.) EIO stays damage: a read error of the disk itself, set aside by
    // a rename (its bytes kept), as a file that keeps failing would otherwise refuse every save.
    if (code === 'EMFILE' || code === 'ENFILE' || code === 'ENOMEM') throw outOfResources(err, { file }) ?? err;
    const denied = code === 'EACCES' || code === 'EPERM' ? (storageFault(err, dirname(file), { file }) ?? undefined) : undefined;
    return { kind: 'damaged', reason: (err as Error).message, ...(denied ? { denied } : {}) };
  }
  try {
    return { kind: 'read', value: JSON.parse(text) as unknown };
  } catch (err) {
    return { kind: 'damaged', reason: text.trim() === '' ? 'the file is empty' : `not JSON (${(err as Error).message})` };
  }
}

/**
 * Moves a data-folder file that could not be read out of the way, durably (rename, then the
 * folder's fsync), as `<file>.damaged-<time>-<pid>` beside it, the name of the secrets store's
 * damaged copies: the next save then writes a new file instead of overwriting what the user had.
 * Returns the copy's path. A failed rename throws (the caller must then not write the file).
 *
 * A file this user may not read (`read.denied`, `readDataJson`'s verdict) is not damaged: it is left
 * where it is, and this throws that error (OUTPUT_NOT_WRITABLE naming it and the permission to
 * fix); it was renamed aside, and a new history or settings file took its place, as if what it held
 * were lost. Told from the read, never by opening the file again.
 */
export async function setAsideDamaged(file: string, read: DataFileRead): Promise<string> {
  if (read.kind === 'damaged' && read.denied) throw read.denied;
  const keptAs = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  await rename(file, keptAs);
  await syncDir(dirname(file));
  return keptAs;
}
