/**
 * `fanout verify` reads a folder while no job writes it: it holds the folder's output lock
 * (`output/output-lock.ts`, kind `verify`), so a job writing the folder (another process: the CLI,
 * the web host, the app) makes the verify refuse at once, OUTPUT_LOCKED naming the job, instead of
 * reporting its half-written files as damage, and a job started meanwhile is refused ("in use by a
 * verify job"). Verifies only read: several may read one folder at once (a shared, read mode),
 * while a job is still kept out until the last of them ends.
 *
 * The output lock has one holder. The verifies reading a folder form a group, built on top of it:
 * - `<folder>/.fanout.verify/<token>.json`: one file per verify reading (pid, host, since, token);
 * - the lock is held by one of them; a verify that finds it held by a live verify joins the group
 *   (its own file) instead of being refused;
 * - a verify that ends while others read hands the lock over to one of them (the lock file is
 *   replaced, in one rename, by that verify's record: a job reading it at any moment sees a live
 *   verify); the last one removes it, as the lock's own release does;
 * - joining and leaving happen one at a time, under `<folder>/.fanout.verify.guard` (O_EXCL; one
 *   left by a process killed inside is removed after 10 s), so a verify never joins a group whose
 *   lock is being removed;
 * - a verify ending without leaving (process.exit) leaves in an 'exit' handler that runs before
 *   the lock's own. A verify killed with SIGKILL while holding the lock leaves it to a dead process:
 *   a job takes it over, even while other verifies still read (the lock knows one holder only).
 *
 * A folder this user cannot write (read-only media, another user's archive) holds no lock of ours:
 * it is read as it is (a live job's lock there is still found and refused). All these files are at
 * the folder's top, where verify looks for no file (a corpus: raw/ and clean/; mail: the account's
 * folder directories, dot directories skipped).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { FanoutError } from '../core/fanout-error';
import { LOCK_FILE, VERIFY_READERS_DIR, acquireOutputLock, isAlive, lockHolder, parseOwner, type LockOwner, type OutputLock } from '../output/output-lock';

/** The verifies reading the folder, one file each. */
export const VERIFY_GROUP_DIR = VERIFY_READERS_DIR;
/** Held while a verify joins or leaves the group. */
export const VERIFY_GUARD = '.fanout.verify.guard';
const GUARD_STALE_MS = 10_000;
const GUARD_POLL_MS = 20;

export async function withFolderForVerify<T>(folder: string, verify: () => Promise<T>): Promise<T> {
  const dir = resolve(folder);
  const member = await joinReaders(dir);
  try {
    return await verify();
  } finally {
    await member?.leave();
  }
}

/** One verify of the group: its record, and the output lock when it took it itself. */
class Reader {
  private left = false;

  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
    private readonly lock: OutputLock | null,
  ) {
    active.add(this);
    installExitHook();
  }

  /** Leaves the group: the lock goes to another reader still reading, or is removed by the last one. */
  async leave(): Promise<void> {
    if (this.left) return;
    this.left = true;
    active.delete(this);
    const guard = await takeGuard(this.dir).catch(() => null);
    // Never throws into the verify: its report stands, whatever leaving the group meets.
    try {
      await rm(memberFile(this.dir, this.owner.token), { force: true });
      const holder = await readHolder(this.dir);
      if (holder?.token === this.owner.token) {
        const next = await liveMember(this.dir);
        if (next) await replaceLock(this.dir, next);
        else if (!this.lock) await rm(join(this.dir, LOCK_FILE), { force: true });
      }
    } catch {
      // The hand-over failed (a full disk, EIO): the lock must not stay naming this live process (a
      // long-lived host would refuse every job there until it quits). The readers still reading lose
      // its protection instead.
      if ((await readHolder(this.dir).catch(() => null))?.token === this.owner.token) await rm(join(this.dir, LOCK_FILE), { force: true }).catch(() => {});
    } finally {
      // The output lock's own release removes the lock only while it still names us (not once handed over).
      await this.lock?.release().catch(() => {});
      if (!(await liveMember(this.dir).catch(() => null))) await rmdir(join(this.dir, VERIFY_GROUP_DIR)).catch(() => {});
      await guard?.release().catch(() => {});
    }
  }

  /** process.exit without leave(): the same, synchronously, best effort. */
  leaveSync(): void {
    if (this.left) return;
    this.left = true;
    try {
      rmSync(memberFile(this.dir, this.owner.token), { force: true });
      const holder = parseOwner(readFileSync(join(this.dir, LOCK_FILE), 'utf8'));
      if (holder?.token !== this.owner.token) return;
      const next = liveMemberSync(this.dir);
      if (next) {
        const tmp = join(this.dir, `${LOCK_FILE}.${this.owner.token}.tmp`);
        writeFileSync(tmp, JSON.stringify(next));
        renameSync(tmp, join(this.dir, LOCK_FILE));
      } else rmSync(join(this.dir, LOCK_FILE), { force: true });
    } catch {
      // The folder is gone, or the lock: nothing to hand over.
    }
  }
}

/**
 * Joins the verifies reading `dir`: takes its output lock, or, when a live verify holds it, joins
 * that verify's group. Null when the folder cannot be written (read as it is). Throws OUTPUT_LOCKED
 * (verify's words) when a job holds it.
 */
async function joinReaders(dir: string): Promise<Reader | null> {
  let guard: Guard | null = null;
  try {
    guard = await takeGuard(dir);
  } catch {
    // Cannot write here (or the folder is gone): no lock of ours, but a job's lock is still refused;
    // the output lock's own errors decide the rest, as before the group existed.
    return readOnly(dir);
  }
  try {
    let lock: OutputLock;
    try {
      lock = await acquireOutputLock(dir, 'verify');
    } catch (err) {
      if (!(err instanceof FanoutError && err.code === 'OUTPUT_LOCKED')) {
        if (notWritable(err)) return null;
        throw err;
      }
      const holder = await readHolder(dir);
      if (holder?.kind !== 'verify') throw await inUse(dir, err);
      const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), kind: 'verify', token: randomBytes(8).toString('hex') };
      await writeMember(dir, owner);
      return new Reader(dir, owner, null);
    }
    try {
      await writeMember(dir, lock.owner);
    } catch (err) {
      await lock.release();
      if (notWritable(err)) return null;
      throw err;
    }
    return new Reader(dir, lock.owner, lock);
  } finally {
    await guard.release();
  }
}

/** A folder this user cannot write: read as it is, unless a job (not a verify) holds it. */
async function readOnly(dir: string): Promise<null> {
  try {
    const lock = await acquireOutputLock(dir, 'verify');
    await lock.release();
  } catch (err) {
    if (err instanceof FanoutError && err.code === 'OUTPUT_LOCKED' && (await readHolder(dir))?.kind !== 'verify') throw await inUse(dir, err);
    if (!notWritable(err) && !(err instanceof FanoutError && err.code === 'OUTPUT_LOCKED')) throw err;
  }
  return null;
}

function notWritable(err: unknown): boolean {
  if (err instanceof FanoutError) return err.code === 'OUTPUT_NOT_WRITABLE' || err.code === 'DISK_FULL' || err.code === 'WRITE_FAILED';
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC' || code === 'EDQUOT';
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

// ---- the group's files ----

const memberFile = (dir: string, token: string) => join(dir, VERIFY_GROUP_DIR, `${token}.json`);

async function writeMember(dir: string, owner: LockOwner): Promise<void> {
  await mkdir(join(dir, VERIFY_GROUP_DIR), { recursive: true });
  await writeFile(memberFile(dir, owner.token), JSON.stringify(owner));
}

/**
 * The record in the lock file (the lock's format, `LockOwner`, read by output-lock.ts's
 * `parseOwner`), or null when there is none or it is torn.
 */
async function readHolder(dir: string): Promise<LockOwner | null> {
  return parseOwner(await readFile(join(dir, LOCK_FILE), 'utf8').catch(() => ''));
}

/** A verify of the group still reading (its file's process alive); the files of dead ones are removed. */
async function liveMember(dir: string): Promise<LockOwner | null> {
  const names = await readdir(join(dir, VERIFY_GROUP_DIR)).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const owner = parseOwner(await readFile(join(dir, VERIFY_GROUP_DIR, name), 'utf8').catch(() => ''));
    if (owner && isAlive(owner)) return owner;
    await rm(join(dir, VERIFY_GROUP_DIR, name), { force: true });
  }
  return null;
}

function liveMemberSync(dir: string): LockOwner | null {
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, VERIFY_GROUP_DIR));
  } catch {
    return null;
  }
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    try {
      const owner = parseOwner(readFileSync(join(dir, VERIFY_GROUP_DIR, name), 'utf8'));
      if (owner && isAlive(owner)) return owner;
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/** The lock now names `next` (one rename: a job reading it sees one live verify or the other). */
async function replaceLock(dir: string, next: LockOwner): Promise<void> {
  const tmp = join(dir, `${LOCK_FILE}.${next.token}.tmp`);
  try {
    await writeFile(tmp, JSON.stringify(next));
    await rename(tmp, join(dir, LOCK_FILE));
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

// ---- one join or leave at a time ----

interface Guard {
  release(): Promise<void>;
}

async function takeGuard(dir: string): Promise<Guard> {
  const file = join(dir, VERIFY_GUARD);
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // Another verify joining or leaving (milliseconds); one left by a process killed inside is removed.
    const s = await stat(file).catch(() => null);
    if (s && Date.now() - s.mtimeMs > GUARD_STALE_MS) await rm(file, { force: true });
    else await new Promise((r) => setTimeout(r, GUARD_POLL_MS));
  }
}

// ---- process.exit in the middle of a verify ----

const active = new Set<Reader>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Before the output lock's own exit handler, which would remove the lock without handing it over.
  process.prependListener('exit', () => {
    for (const r of active) r.leaveSync();
    active.clear();
  });
}
