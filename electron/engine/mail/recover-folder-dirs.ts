import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { walkFolderDirs, type FolderDirFound } from './folder-dir-walk';

/**
 * The folder → directory mapping of an account whose `folders.json` is gone (or unreadable), read
 * back from the `state.json` each folder directory holds (its `path` is the IMAP path). Without it
 * the directories were assigned afresh, and where two folders' names differ only by case (their
 * directories by a " (2)" suffix given in the order they appeared) the listing's order could give a
 * folder the other's directory: its archive fetched again, into the other's as a new generation.
 * A path two directories claim keeps the first in name order (the walk's, `walkFolderDirs`:
 * generation directories skipped). A state.json that cannot be read or parsed names no folder.
 * `found`: the account's walk when the caller made it already (verify), else it is walked here.
 */
export async function recoverFolderDirs(root: string, found?: readonly FolderDirFound[]): Promise<Record<string, string>> {
  const dirs: Record<string, string> = {};
  for (const { rel, state } of found ?? (await walkFolderDirs(root))) {
    if (!state) continue;
    // Unreadable or damaged (not JSON, not an object): the directory names no folder (before, a
    // damaged one made the whole recovery, so the run or verify, fail with a bare SyntaxError).
    const path = await readFile(join(root, ...rel.split('/'), 'state.json'), 'utf8')
      .then((text) => (JSON.parse(text) as { path?: unknown } | null)?.path)
      .catch(() => undefined);
    if (typeof path === 'string' && path !== '' && dirs[path] === undefined) dirs[path] = rel;
  }
  return dirs;
}
