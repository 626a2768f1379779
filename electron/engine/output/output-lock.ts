/**
 * One job per output folder. Every job that writes into a folder (Gutenberg, mail, the lab; from
 * the CLI, the web host or the desktop app) holds `<folder>/.fanout.lock` while it runs; a second
 * one is refused at once with OUTPUT_LOCKED naming the holder (PID, host, since when).
 *
 * Hand-written rather than proper-lockfile: that library judges a lock stale by its mtime only
 * (a killed run blocks the folder for `stale` ms, a live run whose event loop stalls — a laptop
 * asleep — loses its lock) and records no owner to name. Here:
 * - taking: `open(lock, 'wx')` (O_CREAT|O_EXCL) — exactly one creator wins, on every local FS;
 * - the file says who holds it: `{ pid, host, since, kind, token, start, boot }`;
 * - a holder is dead when it ran on this host and `kill(pid, 0)` says ESRCH (or it is a zombie), or
 *   when the process that has its PID now is another one (Linux: it started at another time, or in
 *   another boot: a lock left by a run killed before a reboot or a PID wrap named a live process
 *   for ever). A lock from another host is never broken (its liveness cannot be checked here): the message says so;
 * - takeover of a dead holder's lock happens under a second O_EXCL file (`.fanout.lock.takeover`),
 *   re-reading the lock there and removing it only if it still has the dead holder's token, so two
 *   processes breaking the same stale lock cannot remove each other's fresh one;
 * - release removes the lock only if it still has our token; a process that exits without
 *   releasing (Ctrl-C twice, process.exit) removes its locks in an 'exit' handler; SIGKILL leaves
 *   the file, which the next run takes over.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { rmSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { FanoutError } from '../core/fanout-error';
import { storageFault } from './storage-fault';
import { openRetrying, readFileRetrying, removeStaleTempFiles } from './atomic-file';

export const LOCK_FILE = '.fanout.lock';

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** What holds it: 'gutenberg', 'mail', 'lab'. */
  kind: string;
  /** Unique per acquisition: tells this holding from a later one by the same PID. */
  token: string;
  /**
   * When the holder's process started: Linux's /proc/<pid>/stat field 22 (clock ticks since boot),
   * read with `boot`; a live PID whose start (or boot) differs is another process (`isAlive`).
   * Absent where /proc cannot be read (other systems) and in records of earlier versions: those are
   * judged by `kill(pid, 0)` alone.
   */
  start?: number;
  /** The boot the holder ran in (Linux: /proc/sys/kernel/random/boot_id), with `start`. */
  boot?: string;
}

export interface OutputLock {
  readonly folder: string;
  readonly owner: LockOwner;
  release(): Promise<void>;
}

/** Locks held by this process, removed on exit if not released before. */
const held = new Map<string, string>();
let exitHookInstalled = false;

/** A takeover file older than this was left by a process killed in the middle of a takeover. */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Takes the lock of `folder` (which must exist) for a job of `kind`. Throws OUTPUT_LOCKED when a
 * live process holds it, OUTPUT_NOT_WRITABLE / DISK_FULL when the lock file cannot be written. Its
 * opens and reads are tried again at this process's open-files limit (`openRetrying`); `signal`: a
 * cancel ends that wait (ABORTED).
 */
export async function acquireOutputLock(folder: string, kind: string, opts: { signal?: AbortSignal } = {}): Promise<OutputLock> {
  const dir = resolve(folder);
  const file = join(dir, LOCK_FILE);
  const owner = ownerRecord(kind);
  let deadGroup = false;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(file, owner, dir, opts.signal)) {
      if (deadGroup && kind !== 'verify') await removeDeadVerifyRecords(dir);
      return track(dir, file, owner);
    }
    const current = await readOwner(file, opts.signal);
    if (current === 'gone') continue; // released between our create and our read: try again
    // Another user's lock (mode 0600): whether its job still runs cannot be told from here, and it is not ours to break.
    if (current === 'denied') throw deniedLockError(dir);
    if (current === 'torn') {
      // Being written right now (taken microseconds ago), or a holder killed before writing it.
      if (!(await olderThan(file, TAKEOVER_STALE_MS))) throw lockedError(dir, null);
      await takeOver(file, null, dir, opts.signal);
      continue;
    }
    if (isAlive(current)) throw lockedError(dir, current);
    // A verify holding the lock died (SIGKILL) while other verifies still read the folder
    // (verify/verify-folder.ts: one record each in .fanout.verify/): the folder is still theirs.
    const reader = current.kind === 'verify' ? await liveVerifyReader(dir).catch((err: unknown) => Promise.reject(storageFault(err, dir) ?? err)) : null;
    if (reader) throw lockedError(dir, reader);
    deadGroup ||= current.kind === 'verify';
    await takeOver(file, current, dir, opts.signal);
  }
  throw lockedError(dir, null);
}

async function tryCreate(file: string, owner: LockOwner, dir: string, signal?: AbortSignal): Promise<boolean> {
  let handle;
  try {
    handle = await openRetrying(file, 'wx', { mode: 0o644, signal });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    if (err instanceof FanoutError) throw err; // ABORTED: a cancel while waiting at the open-files limit
    throw storageFault(err, dir) ?? new FanoutError('WRITE_FAILED', `Cannot create the lock file ${file}: ${(err as Error).message}`, { folder: dir }, { cause: err });
  }
  try {
    await handle.writeFile(JSON.stringify(owner));
    // Not for the lock's sake (other processes read it from the page cache; one left torn by a
    // crash is taken over): this proves the folder writable for prepare-folder.ts, a full disk
    // that reports only at fsync (NFS) included.
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(file, { force: true });
    throw storageFault(err, dir) ?? new FanoutError('WRITE_FAILED', `Cannot write the lock file ${file}: ${(err as Error).message}`, { folder: dir }, { cause: err });
  }
  await handle.close();
  return true;
}

/** The lock's holder; 'gone' (no lock), 'torn' (not a whole owner), 'denied' (this user may not read it: another user's). */
async function readOwner(file: string, signal?: AbortSignal): Promise<LockOwner | 'gone' | 'torn' | 'denied'> {
  let text: string;
  try {
    text = await readFileRetrying(file, { signal });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'gone';
    if (code === 'EACCES' || code === 'EPERM') return 'denied';
    throw err;
  }
  return parseOwner(text) ?? 'torn';
}

/**
 * The record of a new holder, this process, for a lock of `kind`: the lock's, and verify/verify-folder.ts's
 * group records and guard. With its start and boot where they can be read (Linux).
 */
export function ownerRecord(kind: string): LockOwner {
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), kind, token: randomBytes(8).toString('hex') };
  ownStart ??= processStat(process.pid)?.start; // read once (it cannot change), not again at every lock
  const start = ownStart;
  const boot = bootId();
  if (start !== undefined && boot !== null) Object.assign(owner, { start, boot });
  return owner;
}

/** A lock file's text as its holder, or null when it is not one (torn, or not ours). verify/verify-folder.ts reads its group's records with it. */
export function parseOwner(text: string): LockOwner | null {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.since === 'string' && typeof o.token === 'string') {
      const owner: LockOwner = { pid: o.pid, host: o.host, since: o.since, kind: typeof o.kind === 'string' ? o.kind : 'job', token: o.token };
      // Both or neither (a handed-over lock, verify-folder.ts, is a record written back as parsed).
      if (Number.isSafeInteger(o.start) && typeof o.boot === 'string') Object.assign(owner, { start: o.start, boot: o.boot });
      return owner;
    }
  } catch {
    // torn
  }
  return null;
}

/**
 * Whether a holder's process still runs. Another host's process cannot be checked from here: it
 * counts as alive. On this host: `kill(pid, 0)` finds no process (ESRCH), or a zombie, or (a record
 * with `start`, Linux) the process with that PID now started in another boot or at another time:
 * dead. A record without `start`, or a /proc that cannot be read, is judged by `kill` alone.
 * verify/verify-folder.ts judges its readers and its guard with it.
 */
export function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (owner.start !== undefined && owner.boot !== undefined) {
    const boot = bootId();
    if (boot !== null && boot !== owner.boot) return false; // a record from before a reboot: that PID is someone else's now
  }
  const now = processStat(owner.pid);
  if (now === null) return true; // cannot be told (not Linux, /proc hidden): kill's answer
  if (now.zombie) return false;
  return owner.start === undefined || owner.boot === undefined || now.start === owner.start;
}

/**
 * Linux: /proc/<pid>/stat's state and start time (field 22, clock ticks since boot), or null when
 * it cannot be read (not Linux, the process gone, /proc mounted hidepid). A zombie (ended, not yet
 * reaped) still answers kill(pid, 0): a re-launched CLI (bin/relaunch.js) whose launcher was killed
 * is reaped by init, whenever that comes.
 */
function processStat(pid: number): { start: number; zombie: boolean } | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command's closing parenthesis (the command may hold spaces and parentheses): field 3 on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isSafeInteger(start) ? { start, zombie: fields[0] === 'Z' } : null;
  } catch {
    return null;
  }
}

/** This process's `start` once read (undefined until a read succeeded: an open-files limit may fail the first). */
let ownStart: number | undefined;
let bootIdRead: string | null | undefined;
/** This boot's id (Linux: /proc/sys/kernel/random/boot_id, read once), or null. */
function bootId(): string | null {
  if (bootIdRead === undefined) {
    try {
      bootIdRead = process.platform === 'linux' ? readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null : null;
    } catch {
      bootIdRead = null;
    }
  }
  return bootIdRead;
}

/** The folder's verify group (verify/verify-folder.ts): one `<token>.json` (a LockOwner) per verify reading it. */
export const VERIFY_READERS_DIR = '.fanout.verify';

/**
 * A verify of the folder's group still reading (its process alive), or null. A record that cannot
 * be read (the open-files limit past `readOwner`'s tries, EIO) throws: it may be a live verify's,
 * and breaking the lock under it is not ours (it was read as gone: the lock broken, the record
 * removed with the dead group's).
 */
async function liveVerifyReader(dir: string): Promise<LockOwner | null> {
  const names = await readdir(join(dir, VERIFY_READERS_DIR)).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const owner = await readOwner(join(dir, VERIFY_READERS_DIR, name));
    if (typeof owner === 'object' && isAlive(owner)) return owner;
  }
  return null;
}

/**
 * A job took over the lock of a verify group whose verifies are all dead (killed): their records
 * (and a record's temp) go, and the group's folder with them. They were kept until the next verify
 * left (verify/verify-folder.ts); a job's folder kept them for ever, and a record whose pid a later
 * process reuses reads as a verify still reading. Only dead ones (a live verify's, should one be
 * there with no lock of its group, is left); nothing here fails the job.
 */
async function removeDeadVerifyRecords(dir: string): Promise<void> {
  const group = join(dir, VERIFY_READERS_DIR);
  const names = await readdir(group).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    // One that cannot be read may be a live verify's: the group is left as it is.
    const owner = await readOwner(join(group, name)).catch(() => 'unreadable' as const);
    if (owner === 'unreadable' || (typeof owner === 'object' && isAlive(owner))) return;
  }
  await removeStaleTempFiles(group).catch(() => 0);
  for (const name of names.filter((n) => n.endsWith('.json'))) await rm(join(group, name), { force: true }).catch(() => {});
  await rmdir(group).catch(() => {});
}

/** The file is gone, or its mtime is over `ms` from now, either way (one ahead, a clock skewed over NFS, was never old enough: every job refused for ever). */
async function olderThan(file: string, ms: number): Promise<boolean> {
  const s = await stat(file).catch(() => null);
  return s === null || Math.abs(Date.now() - s.mtimeMs) > ms;
}

/**
 * Removes the lock of a dead holder (`dead`, or null for a torn file), under the takeover file so
 * that only one process does it and only if the lock is still the one judged dead.
 */
async function takeOver(file: string, dead: LockOwner | null, dir: string, signal?: AbortSignal): Promise<void> {
  const guard = `${file}.takeover`;
  let handle;
  try {
    handle = await openRetrying(guard, 'wx', { signal });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw storageFault(err, dir) ?? err;
    // Someone else is taking it over; a guard left by a process killed mid-takeover is removed.
    if (await olderThan(guard, TAKEOVER_STALE_MS)) await rm(guard, { force: true });
    return;
  }
  try {
    await handle.close();
    const now = await readOwner(file, signal);
    const same = now === 'torn' ? dead === null : typeof now === 'object' && dead !== null && now.token === dead.token;
    if (same) await rm(file, { force: true });
  } finally {
    await rm(guard, { force: true });
  }
}

/** Who holds a lock, as OUTPUT_LOCKED says it: 'a gutenberg job, process N[ on host], since T'. */
function holderText(owner: LockOwner): string {
  return `a ${owner.kind} job, process ${owner.pid}${owner.host !== hostname() ? ` on ${owner.host}` : ''}, since ${owner.since}`;
}

/** Who holds the lock of `dir` now (`holderText`), or null when there is none or it is torn. */
export async function lockHolder(dir: string): Promise<string | null> {
  const owner = await readOwner(join(dir, LOCK_FILE)).catch(() => 'gone' as const);
  return typeof owner === 'object' ? holderText(owner) : null;
}

/**
 * A lock file this user may not read (another user's job, running or killed, with a umask of 077):
 * refused as a lock, naming the file (it was WRITE_FAILED with the raw EACCES of the read).
 */
function deniedLockError(dir: string): FanoutError {
  const file = join(dir, LOCK_FILE);
  return new FanoutError(
    'OUTPUT_LOCKED',
    `The output folder ${dir} may be in use by another user's job: its lock ${file} cannot be read by this user (permission denied). Wait for that job to end, or, if no Fanout job runs there, have its owner remove ${file}`,
    { folder: dir, file },
  );
}

function lockedError(dir: string, owner: LockOwner | null): FanoutError {
  const who = owner ? holderText(owner) : 'another process that is just starting';
  return new FanoutError(
    'OUTPUT_LOCKED',
    `The output folder ${dir} is in use by ${who}. Wait for it to end or stop it (if no Fanout job runs there, remove ${join(dir, LOCK_FILE)})`,
    { folder: dir, file: join(dir, LOCK_FILE) },
  );
}

function track(dir: string, file: string, owner: LockOwner): OutputLock {
  held.set(file, owner.token);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', releaseAllSync);
  }
  let released = false;
  return {
    folder: dir,
    owner,
    async release() {
      if (released) return;
      released = true;
      held.delete(file);
      const now = await readOwner(file).catch(() => 'gone' as const);
      if (typeof now === 'object' && now.token === owner.token) await rm(file, { force: true }).catch(() => {});
    },
  };
}

/**
 * The exit handler leaves `lock` where it is (it will name a dead process): verify/verify-folder.ts,
 * whose process ends while other verifies of its group still read, which a dead verify's lock keeps
 * a job out for (`acquireOutputLock`: not taken over while a verify of its group reads).
 */
export function keepOnExit(lock: OutputLock): void {
  const file = join(lock.folder, LOCK_FILE);
  if (held.get(file) === lock.owner.token) held.delete(file);
}

/** On exit: our locks not released yet (the process is ending in the middle of a job). */
function releaseAllSync(): void {
  for (const [file, token] of held) {
    try {
      if (parseOwner(readFileSync(file, 'utf8'))?.token === token) rmSync(file, { force: true });
    } catch {
      // gone already, or the folder vanished
    }
  }
  held.clear();
}

/** Runs `fn` holding the lock of `folder`; the lock is released whatever happens. */
export async function withOutputLock<T>(folder: string, kind: string, fn: (lock: OutputLock) => Promise<T>): Promise<T> {
  const lock = await acquireOutputLock(folder, kind);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}
