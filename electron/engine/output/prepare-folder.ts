import { rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FanoutError } from '../core/fanout-error';
import { openAtomicFile, removeStaleTempFiles } from './atomic-file';
import { makeDirs } from './make-dirs';
import { acquireOutputLock, type OutputLock } from './output-lock';
import { errnoCode, storageFault } from './storage-fault';
import { isInside } from './safe-path';

/**
 * Gets an output folder ready before any download starts: creates it and `subdirs`, takes its
 * lock (OUTPUT_LOCKED when another job holds it), proves each folder writable by creating a file
 * there and fsyncing it (the lock file in the output folder, a probe file in each subfolder: a
 * read-only or full disk is found now, with a clear message, not mid-run as a raw Node error),
 * and removes the temp files a killed run left. The caller releases the lock.
 *
 * The folders this call created are removed again at the release when they are still empty: a job
 * refused before it wrote anything (a wrong IMAP password, a server that cannot be reached; the
 * folder is made and locked while the login is under way) leaves nothing behind. A folder that was
 * there before, or that holds anything, is kept. `keep`: no tidying (the labs write their files
 * into the folder after the lock is released). `signal`: the job's cancel, which ends a wait at the
 * open-files limit (the lock's and the probes' opens, `openRetrying`) at once (ABORTED).
 */
export async function prepareOutputFolder(outDir: string, kind: string, subdirs: string[] = [], opts: { keep?: boolean; signal?: AbortSignal } = {}): Promise<OutputLock> {
  // Deepest first: the order they are tried for removal.
  const created: string[] = [];
  let lock!: OutputLock;
  // A job ending as this one starts removes the folder it made once its lock is gone, maybe
  // between our mkdir and our lock: made again (a bounded number of times).
  for (let attempt = 1; ; attempt++) {
    await makeDir(outDir, outDir, created);
    try {
      const held = await acquireOutputLock(outDir, kind, { signal: opts.signal });
      lock = opts.keep ? held : tidyOnRelease(held, created);
      break;
    } catch (err) {
      if (!opts.keep) await removeIfEmpty(created);
      const gone = ((err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code) === 'ENOENT';
      if (!gone || attempt === 3) throw err;
    }
  }
  try {
    for (const dir of [outDir, ...subdirs.map((d) => join(outDir, d))]) {
      // The output folder is proved writable by the lock file just created there, written and
      // fsynced (output-lock.ts): a probe file beside it would prove nothing more and cost a second
      // fsync (a run of `fanout mail` with nothing new waits on the disk for these alone).
      if (dir !== outDir) {
        await makeDir(dir, outDir, created);
        await probeWritable(dir, outDir, opts.signal);
      }
      // Under the lock no other writer is at work here: every temp file is a leftover.
      await removeStaleTempFiles(dir);
    }
    return lock;
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** The lock, whose release then removes the folders in `created` that are empty (lock file gone). */
function tidyOnRelease(lock: OutputLock, created: string[]): OutputLock {
  return {
    folder: lock.folder,
    owner: lock.owner,
    async release() {
      // Subfolders first, still under the lock (the next job may take the folder the moment it is released).
      // Split before removing: removeIfEmpty empties the list it is given, and the folders above
      // must not be computed from an emptied `inside` (the subfolders were then tried again after
      // the release, removing the ones the next job had just made).
      const inside = created.filter((d) => isInside(lock.folder, d));
      const above = created.filter((d) => !inside.includes(d));
      await removeIfEmpty(inside);
      await lock.release();
      await removeIfEmpty(above);
    },
  };
}

/**
 * Removes each folder of `dirs` (deepest first, so a parent is tried after its children) that is
 * empty. rmdir never removes a folder that holds anything. Never throws: tidying is a courtesy.
 */
async function removeIfEmpty(dirs: string[]): Promise<void> {
  for (const dir of dirs.splice(0)) {
    // Not empty (a file of the job's, or another job's lock just taken there), or gone: kept.
    await rmdir(dir).catch(() => undefined);
  }
}

/** Creates `dir` (and missing parents, make-dirs.ts); the folders it created go to the front of `created`, deepest first. */
async function makeDir(dir: string, outDir: string, created: string[]): Promise<void> {
  try {
    created.unshift(...(await makeDirs(dir)).reverse());
  } catch (err) {
    const file = errnoCode(err) === 'ENOTDIR' ? await fileInTheWay(dir) : null;
    if (file) {
      throw new FanoutError('WRITE_FAILED', `${file} is a file, not a folder, where the job needs the folder ${dir}: move it out of the way (fanout does not delete it), then run again`, { folder: outDir, path: file }, { cause: err });
    }
    throw storageFault(err, outDir, { path: dir }) ?? new FanoutError('WRITE_FAILED', `Cannot create the folder ${dir}: ${(err as Error).message}`, { folder: outDir, path: dir }, { cause: err });
  }
}

/** The nearest file (not a folder) on the way to `dir`, `dir` itself included, or null. */
async function fileInTheWay(dir: string): Promise<string | null> {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = await stat(d).catch(() => null);
    if (st) return st.isDirectory() ? null : d;
    if (dirname(d) === d) return null;
  }
}

async function probeWritable(dir: string, outDir: string, signal?: AbortSignal): Promise<void> {
  try {
    const probe = await openAtomicFile(join(dir, '.fanout-probe'), { signal });
    try {
      await probe.handle.write('probe\n');
      await probe.handle.sync();
    } finally {
      await probe.abort();
    }
  } catch (err) {
    if (err instanceof FanoutError) throw err; // ABORTED: a cancel while waiting at the open-files limit
    throw storageFault(err, outDir, { path: dir }) ?? new FanoutError('WRITE_FAILED', `Cannot write in ${dir}: ${(err as Error).message}`, { folder: outDir, path: dir }, { cause: err });
  }
}
