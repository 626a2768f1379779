import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FanoutError } from '../core/fanout-error';
import { openAtomicFile, removeStaleTempFiles } from './atomic-file';
import { acquireOutputLock, type OutputLock } from './output-lock';
import { storageFault } from './storage-fault';

/**
 * Gets an output folder ready before any download starts: creates it and `subdirs`, takes its
 * lock (OUTPUT_LOCKED when another job holds it), proves each folder writable by creating a file
 * there (a read-only or full disk is found now, with a clear message, not mid-run as a raw Node
 * error), and removes the temp files a killed run left. The caller releases the lock.
 */
export async function prepareOutputFolder(outDir: string, kind: string, subdirs: string[] = []): Promise<OutputLock> {
  await makeDir(outDir, outDir);
  const lock = await acquireOutputLock(outDir, kind);
  try {
    for (const dir of [outDir, ...subdirs.map((d) => join(outDir, d))]) {
      if (dir !== outDir) await makeDir(dir, outDir);
      await probeWritable(dir, outDir);
      // Under the lock no other writer is at work here: every temp file is a leftover.
      await removeStaleTempFiles(dir);
    }
    return lock;
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function makeDir(dir: string, outDir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (first) {
    const err = (first as NodeJS.ErrnoException).code === 'ENOENT' ? await realMkdirError(dir, first) : first;
    throw storageFault(err, outDir, { path: dir }) ?? new FanoutError('WRITE_FAILED', `Cannot create the folder ${dir}: ${(err as Error).message}`, { folder: outDir, path: dir }, { cause: err });
  }
}

/**
 * Node's recursive mkdir reports ENOENT when a parent cannot be created on a read-only file system
 * (the cause of "ENOENT … mkdir …/raw"): create the first missing level alone to get the real
 * error (EROFS, EACCES).
 */
async function realMkdirError(dir: string, fallback: unknown): Promise<unknown> {
  let missing = resolve(dir);
  for (let parent = dirname(missing); parent !== missing; missing = parent, parent = dirname(parent)) {
    if (await stat(parent).then(() => true, () => false)) break;
  }
  try {
    await mkdir(missing);
  } catch (err) {
    return err;
  }
  return fallback;
}

async function probeWritable(dir: string, outDir: string): Promise<void> {
  try {
    const probe = await openAtomicFile(join(dir, '.fanout-probe'));
    try {
      await probe.handle.write('probe\n');
      await probe.handle.sync();
    } finally {
      await probe.abort();
    }
  } catch (err) {
    throw storageFault(err, outDir, { path: dir }) ?? new FanoutError('WRITE_FAILED', `Cannot write in ${dir}: ${(err as Error).message}`, { folder: outDir, path: dir }, { cause: err });
  }
}
