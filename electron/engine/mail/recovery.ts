import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isTempName } from './message-file';

/**
 * What an interrupted run leaves, found again by the next one: temp files (removed) and complete
 * `.eml` files without an index line ("orphans": taken back only when the server's bytes at
 * the file's end prove its length and its last bytes, plan-folder.ts `adoptOrphans`, else fetched again and overwritten).
 */

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** Removes temp files in `dirs` (absolute). Returns how many. */
export async function removeTempFiles(dirs: Iterable<string>): Promise<number> {
  let removed = 0;
  for (const d of new Set(dirs)) {
    for (const name of await names(d)) {
      if (!isTempName(name)) continue;
      await rm(join(d, name), { force: true });
      removed++;
    }
  }
  return removed;
}

/** UIDs of `<uid>.eml` files in `dir` for which `indexed(uid)` is false, sorted. */
export async function orphanUids(dir: string, indexed: (uid: number) => boolean): Promise<number[]> {
  const out: number[] = [];
  for (const name of await names(dir)) {
    const m = /^(\d+)\.eml$/.exec(name);
    if (m && !indexed(Number(m[1]))) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}
