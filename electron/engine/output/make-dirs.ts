import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` that always ends: creates the missing levels of `dir` one at a time, from the deepest
 * folder that exists down. Returns the folders it created, top first (none when `dir` was there
 * already). Throws the first level's real error (EACCES, EROFS, ENOSPC, ENOTDIR, ENOENT).
 *
 * Node's recursive mkdir is not used for folders a user names: under /proc (and other kernel file
 * systems) mkdir of a missing folder says ENOENT while its parent exists, and Node's loop then
 * creates the parent (EEXIST) and tries the folder again, for ever, a libuv thread at 100 % CPU
 * (`fanout gutenberg --out /proc/x` hung). Here each level is tried once.
 */
export async function makeDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = await stat(d).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (st) {
      if (st.isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${resolve(dir)}'`), { code: 'ENOTDIR', path: d, syscall: 'mkdir' });
    }
    missing.push(d);
    if (dirname(d) === d) break;
  }
  const made: string[] = [];
  for (const d of missing.reverse()) {
    try {
      await mkdir(d);
    } catch (err) {
      // Made by someone else in between: fine, go on below it.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(d).then((s) => s.isDirectory(), () => false))) continue;
      throw err;
    }
    made.push(d);
  }
  return made;
}
