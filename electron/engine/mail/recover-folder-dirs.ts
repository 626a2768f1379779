import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Deepest folder directory looked into (a folder's hierarchy level is one directory level). */
const MAX_DEPTH = 32;

/**
 * The folder → directory mapping of an account whose `folders.json` is gone (or unreadable), read
 * back from the `state.json` each folder directory holds (its `path` is the IMAP path). Without it
 * the directories were assigned afresh, and where two folders' names differ only by case (their
 * directories by a " (2)" suffix given in the order they appeared) the listing's order could give a
 * folder the other's directory: its archive fetched again, into the other's as a new generation.
 * A path two directories claim keeps the first in name order. Generation directories are skipped.
 */
export async function recoverFolderDirs(root: string): Promise<Record<string, string>> {
  const dirs: Record<string, string> = {};
  const walk = async (rel: string[], depth: number): Promise<void> => {
    const abs = join(root, ...rel);
    const entries = await readdir(abs, { withFileTypes: true }).catch(() => []);
    if (rel.length > 0 && entries.some((e) => e.isFile() && e.name === 'state.json')) {
      const path = await readFile(join(abs, 'state.json'), 'utf8').then(
        (text) => (JSON.parse(text) as { path?: unknown }).path,
        () => undefined,
      );
      if (typeof path === 'string' && path !== '' && dirs[path] === undefined) dirs[path] = rel.join('/');
    }
    if (depth >= MAX_DEPTH) return;
    const subdirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && !/^uidvalidity-\d+$/.test(e.name)).map((e) => e.name).sort();
    for (const name of subdirs) await walk([...rel, name], depth + 1);
  };
  await walk([], 0);
  return dirs;
}
