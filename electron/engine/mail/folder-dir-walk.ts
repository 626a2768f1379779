import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isGenerationDirName } from './generations';
import { isMessageFileName } from './message-file';

/** Deepest folder directory looked into (a folder's hierarchy level is one directory level). */
export const MAX_FOLDER_DEPTH = 32;

/** A directory under the account's folder that may be a folder's: what it holds of an archive's records. */
export interface FolderDirFound {
  /** Relative to the account's folder, "/"-separated. */
  rel: string;
  /** It holds a `state.json` file (its `path` names the folder: `recoverFolderDirs`). */
  state: boolean;
  /** It holds an `index.jsonl` (file or not) or `<uid>.eml` files: an archive (verify checks one no record names). */
  archive: boolean;
}

/**
 * The directories under the account's folder `root` holding a `state.json` or an archive, each read
 * once (one readdir), depth first, subdirectories in name order (a directory before those inside
 * it). Not looked into: dot directories, generation directories (`isGenerationDirName`: part of
 * their folder's archive), symlinks (a symlink's entry is no directory: a loop is never followed),
 * directories deeper than `MAX_FOLDER_DEPTH` levels. A directory that cannot be read is as empty.
 * The one walk of the account both `recoverFolderDirs` (`folders.json` gone) and verify's search
 * for archives no record names use.
 */
export async function walkFolderDirs(root: string): Promise<FolderDirFound[]> {
  const found: FolderDirFound[] = [];
  const walk = async (rel: string[]): Promise<void> => {
    const entries = await readdir(join(root, ...rel), { withFileTypes: true }).catch(() => []);
    if (rel.length > 0) {
      const state = entries.some((e) => e.isFile() && e.name === 'state.json');
      const archive = entries.some((e) => e.name === 'index.jsonl' || (e.isFile() && isMessageFileName(e.name)));
      if (state || archive) found.push({ rel: rel.join('/'), state, archive });
    }
    if (rel.length >= MAX_FOLDER_DEPTH) return;
    const subdirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && !isGenerationDirName(e.name)).map((e) => e.name).sort();
    for (const name of subdirs) await walk([...rel, name]);
  };
  await walk([]);
  return found;
}
