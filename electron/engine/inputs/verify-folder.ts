import { join, resolve } from 'node:path';
import { FanoutError } from '../core/fanout-error';
import { LOCK_FILE, acquireOutputLock, lockHolder, type OutputLock } from '../output/output-lock';

/**
 * Runs `verify` of `folder` holding the folder's output lock (kind `verify`), as a job would: a
 * job writing the folder (from another process: the CLI, the web host, the app) makes the verify
 * refuse at once, OUTPUT_LOCKED, saying which job, instead of reading its half-written files and
 * a manifest still growing as damage; and a job started during the verify is refused the same way
 * ("in use by a verify job"), so that what is read stays as it was. The lock file is at the
 * folder's top, where verify looks for no file.
 *
 * A folder this user cannot write (read-only media, another user's archive) holds no lock of ours:
 * it is read as it is (a live job's lock there is still found and refused).
 */
export async function withFolderForVerify<T>(folder: string, verify: () => Promise<T>): Promise<T> {
  const dir = resolve(folder);
  let lock: OutputLock | null = null;
  try {
    lock = await acquireOutputLock(dir, 'verify');
  } catch (err) {
    if (err instanceof FanoutError && err.code === 'OUTPUT_LOCKED') throw await inUse(dir, err);
    if (!(err instanceof FanoutError && (err.code === 'OUTPUT_NOT_WRITABLE' || err.code === 'DISK_FULL' || err.code === 'WRITE_FAILED'))) throw err;
  }
  try {
    return await verify();
  } finally {
    await lock?.release();
  }
}

/** OUTPUT_LOCKED in verify's words: which job writes the folder, and to verify once it has ended. */
async function inUse(dir: string, err: FanoutError): Promise<FanoutError> {
  // The holder as the lock names it (output-lock.ts); gone or torn meanwhile: the general words.
  const who = (await lockHolder(dir)) ?? 'another Fanout process';
  return new FanoutError(
    'OUTPUT_LOCKED',
    `${dir} is in use by ${who}: verify it once that has ended (the files a job is still writing would show as damage; if no Fanout process works there, remove ${join(dir, LOCK_FILE)})`,
    err.context,
    { cause: err },
  );
}
