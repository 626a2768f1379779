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
 * - joining and leaving happen one at a time, under `<folder>/.fanout.verify.guard` (O_EXCL, naming
 *   its holder as a lock does: pid, host, token; one whose holder is dead is removed, only ours is
 *   released; a live holder is waited for 30 s at most, then OUTPUT_LOCKED naming it), so a verify
 *   never joins a group whose lock is being removed;
 * - the lock's hand-over and the records are written by `output/atomic-file.ts` (a unique temp,
 *   renamed; not fsynced: they mean nothing after a crash), so no one reads one half-written;
 * - a verify ending without leaving (process.exit) leaves in an 'exit' handler that runs before
 *   the lock's own, under the guard (waited for 1 s at most). Without it, or when the hand-over
 *   fails, the lock is left naming the ended verify while others read: a job does not take over a
 *   dead verify's lock while a verify of its group reads (output-lock.ts).
 *   A verify killed with SIGKILL while holding the lock leaves it to a dead process the same way.
 *
 * A folder this user cannot write (read-only media, another user's archive) holds no lock of ours:
 * it is read as it is (a live job's lock there is still found and refused). All these files are at
 * the folder's top, where verify looks for no file (a corpus: raw/ and clean/; mail: the account's
 * folder directories, dot directories skipped).
 */
import { closeSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { FanoutError } from '../core/fanout-error';
import { openRetrying, readFileRetrying, removeStaleTempFiles, tempPathFor, writeFileAtomic, writeFileAtomicSync } from '../output/atomic-file';
import { LOCK_FILE, VERIFY_READERS_DIR, acquireOutputLock, isAlive, keepOnExit, lockHolder, ownerRecord, parseOwner, type LockOwner, type OutputLock } from '../output/output-lock';

/** The verifies reading the folder, one file each. */
export const VERIFY_GROUP_DIR = VERIFY_READERS_DIR;
/** Held while a verify joins or leaves the group: `{pid, host, since, kind, token}` of its holder. */
export const VERIFY_GUARD = '.fanout.verify.guard';
/** A guard that is no holder's record (one of an earlier version: empty; or being written) is left over when its mtime is this far from now, either way. */
const GUARD_TORN_STALE_MS = 10_000;
/** How long a verify waits for a live holder's guard (a join or a leave: milliseconds; an fsync on a stalled disk: seconds). */
const GUARD_WAIT_MS = 30_000;
/** The same at process exit, where nothing else can run meanwhile. */
const GUARD_EXIT_WAIT_MS = 1_000;
const GUARD_POLL_MS = 20;

export interface VerifyFolderOptions {
  /** How long to wait for the group's guard held by a live process (default 30 s); past it, OUTPUT_LOCKED naming it. */
  guardWaitMs?: number;
}

export async function withFolderForVerify<T>(folder: string, verify: () => Promise<T>, opts: VerifyFolderOptions = {}): Promise<T> {
  const dir = resolve(folder);
  const member = await joinReaders(dir, opts.guardWaitMs ?? GUARD_WAIT_MS);
  try {
    return await verify();
  } finally {
    await member?.leave(opts.guardWaitMs ?? GUARD_WAIT_MS);
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
  async leave(guardWaitMs: number): Promise<void> {
    if (this.left) return;
    this.left = true;
    active.delete(this);
    // A guard that cannot be had (held past the wait, the folder gone or read-only): left without it.
    const guard = await takeGuard(this.dir, guardWaitMs).catch(() => null);
    // Never throws into the verify: its report stands, whatever leaving the group meets.
    try {
      await rm(memberFile(this.dir, this.owner.token), { force: true });
      const holder = await readHolder(this.dir);
      if (holder?.token === this.owner.token) {
        const next = await liveMember(this.dir);
        if (next) await writeFileAtomic(join(this.dir, LOCK_FILE), JSON.stringify(next), { durable: false });
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
      if (!(await liveMember(this.dir).catch(() => null))) {
        // The last one: the temps of records a killed verify left go with the group's folder (under
        // the guard only: a verify joining writes its record through one).
        if (guard) await removeStaleTempFiles(join(this.dir, VERIFY_GROUP_DIR)).catch(() => {});
        await rmdir(join(this.dir, VERIFY_GROUP_DIR)).catch(() => {});
      }
      await guard?.release().catch(() => {});
    }
  }

  /**
   * process.exit without leave(): the same, synchronously, best effort, under the guard (waited for
   * up to 1 s). Without it (held by another verify all that time), or when the hand-over fails, the
   * lock is left naming this process, dead a moment later, while other verifies still read: a job
   * does not take over a dead verify's lock while a verify of its group reads (output-lock.ts), and
   * takes it over once none does (a verify too).
   */
  leaveSync(): void {
    if (this.left) return;
    this.left = true;
    const guard = takeGuardSync(this.dir, GUARD_EXIT_WAIT_MS);
    try {
      rmSync(memberFile(this.dir, this.owner.token), { force: true });
      const holder = parseOwner(readFileSync(join(this.dir, LOCK_FILE), 'utf8'));
      if (holder?.token !== this.owner.token) return;
      const next = liveMemberSync(this.dir);
      if (guard && !next) {
        rmSync(join(this.dir, LOCK_FILE), { force: true });
        return;
      }
      // The lock's own exit handler must not remove it now: it names this verify until handed over,
      // a dead one after, kept by the readers (without the guard, one may be joining right now).
      if (this.lock) keepOnExit(this.lock);
      if (guard && next) writeFileAtomicSync(join(this.dir, LOCK_FILE), JSON.stringify(next));
    } catch {
      // The folder is gone, or the lock; or the hand-over failed: the lock names this process, dead soon.
    } finally {
      guard?.release();
    }
  }
}

/**
 * Joins the verifies reading `dir`: takes its output lock, or, when a live verify holds it, joins
 * that verify's group. Null when the folder cannot be written (read as it is). Throws OUTPUT_LOCKED
 * (verify's words) when a job holds it.
 */
async function joinReaders(dir: string, guardWaitMs: number): Promise<Reader | null> {
  let guard: Guard | null = null;
  try {
    guard = await takeGuard(dir, guardWaitMs);
  } catch (err) {
    if (err instanceof FanoutError) throw err; // held by a live verify past the wait
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
      const owner = ownerRecord('verify');
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

/** A verify's record, written atomically: output-lock.ts reads the group's records without the guard. */
async function writeMember(dir: string, owner: LockOwner): Promise<void> {
  await mkdir(join(dir, VERIFY_GROUP_DIR), { recursive: true });
  await writeFileAtomic(memberFile(dir, owner.token), JSON.stringify(owner), { durable: false });
}

/**
 * The record in the lock file (the lock's format, `LockOwner`, read by output-lock.ts's
 * `parseOwner`), or null when there is none or it is torn.
 */
async function readHolder(dir: string): Promise<LockOwner | null> {
  return parseOwner(await readFileRetrying(join(dir, LOCK_FILE)).catch(() => ''));
}

/**
 * A verify of the group still reading (its file's process alive); the files of dead ones are
 * removed. A record that cannot be read (the open-files limit past its tries: `readFileRetrying`)
 * is left, neither live nor removed (it was read as '' and removed: a live verify's record gone).
 */
async function liveMember(dir: string): Promise<LockOwner | null> {
  const names = await readdir(join(dir, VERIFY_GROUP_DIR)).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const text = await readFileRetrying(join(dir, VERIFY_GROUP_DIR, name)).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : null));
    if (text === null) continue;
    const owner = parseOwner(text);
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

// ---- one join or leave at a time ----

interface Guard {
  /** Removes the guard if it is still ours. */
  release(): Promise<void>;
}

/** What the guard file holds now. */
type GuardState = { kind: 'gone' } | { kind: 'held'; owner: LockOwner | null } | { kind: 'left'; token: string | null };

/**
 * Takes `<dir>/.fanout.verify.guard`: O_EXCL, our record written in it. One whose holder is dead
 * (same host, as a lock holder is judged: output-lock.ts `isAlive`), or that is no record and whose
 * mtime is over 10 s from now either way (an earlier version's, empty), is removed; one held by a
 * live process is waited for up to `waitMs`, then OUTPUT_LOCKED naming it. Raw errors when the guard
 * cannot be written (the folder read-only or gone).
 */
async function takeGuard(dir: string, waitMs: number): Promise<Guard> {
  const file = join(dir, VERIFY_GUARD);
  const me = guardOwner();
  const deadline = performance.now() + waitMs;
  for (;;) {
    if (await createGuard(file, me)) return { release: () => releaseGuard(file, me.token) };
    // Unreadable (another user's): judged by its mtime, as one that is no record.
    const text = await readFileRetrying(file).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : ''));
    const state = judgeGuard(text, await stat(file).catch(() => null));
    // A left guard this user cannot move (a folder another user owns, read-only media) throws its raw
    // error: joinReaders then reads the folder as it is, at once (it looped for the whole wait, then refused).
    const moved = state.kind === 'left' && (await removeLeftGuard(file, state.token));
    if (performance.now() >= deadline) throw guardHeldError(dir, file, state.kind === 'held' ? state.owner : null, waitMs);
    // No progress on this pass (held, or gone/left and not ours yet): pause, never spin.
    if (!moved) await new Promise((r) => setTimeout(r, GUARD_POLL_MS));
  }
}

/** A rename's error that means this user may not change the folder: trying again cannot help. */
function cannotChange(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
}

/** The guard's record: a lock holder's (output-lock.ts `ownerRecord`: with this process's start, so a PID reused later is not read as its holder). */
function guardOwner(): LockOwner {
  return ownerRecord('verify');
}

/** The guard's O_EXCL create, tried again at the open-files limit (`openRetrying`: it failed the join, and the verify read the folder as one it cannot write, holding no lock). */
async function createGuard(file: string, me: LockOwner): Promise<boolean> {
  let handle;
  try {
    handle = await openRetrying(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(JSON.stringify(me));
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(file, { force: true });
    throw err;
  }
  await handle.close();
  return true;
}

/** The guard's text (null: gone) and stat as held (by a live process, or being written) or left over. */
function judgeGuard(text: string | null, st: { mtimeMs: number } | null): GuardState {
  if (text === null || st === null) return { kind: 'gone' };
  const owner = parseOwner(text);
  if (owner) return isAlive(owner) ? { kind: 'held', owner } : { kind: 'left', token: owner.token };
  return Math.abs(Date.now() - st.mtimeMs) > GUARD_TORN_STALE_MS ? { kind: 'left', token: null } : { kind: 'held', owner: null };
}

/**
 * Removes a guard judged left over, only if it is still that one: moved aside in one rename, then
 * read; one that is not (taken meanwhile by a live verify, between our read and our rename) is put
 * back (O_EXCL: never over a newer one). True when it was moved; false when it was gone meanwhile.
 * Throws the rename's raw error when this user may not move it (EACCES/EPERM/EROFS).
 */
async function removeLeftGuard(file: string, token: string | null): Promise<boolean> {
  const aside = tempPathFor(file);
  try {
    await rename(file, aside);
  } catch (err) {
    if (cannotChange(err)) throw err;
    return false; // gone meanwhile: try again
  }
  const text = await readFileRetrying(aside).catch(() => '');
  if ((parseOwner(text)?.token ?? null) !== token) {
    const back = await openRetrying(file, 'wx').catch(() => null); // EEXIST: a newer guard is there
    if (back) await back.writeFile(text).finally(() => back.close());
  }
  await rm(aside, { force: true });
  return true;
}

async function releaseGuard(file: string, token: string): Promise<void> {
  if (parseOwner(await readFileRetrying(file).catch(() => ''))?.token === token) await rm(file, { force: true });
}

function guardHeldError(dir: string, file: string, owner: LockOwner | null, waitMs: number): FanoutError {
  const who = owner ? `another verify (process ${owner.pid}${owner.host !== hostname() ? ` on ${owner.host}` : ''}, since ${owner.since})` : 'another verify';
  return new FanoutError(
    'OUTPUT_LOCKED',
    `${dir}: ${who} has been joining or leaving the verifies reading this folder for over ${Math.max(1, Math.round(waitMs / 1000))} s: try again (if no Fanout verify runs there, remove ${file})`,
    { folder: dir, file },
  );
}

/** `takeGuard` at process exit: synchronous calls, waiting up to `waitMs`; null when it cannot be had. */
function takeGuardSync(dir: string, waitMs: number): { release(): void } | null {
  const file = join(dir, VERIFY_GUARD);
  const me = guardOwner();
  const deadline = performance.now() + waitMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, JSON.stringify(me));
      } catch {
        closeSync(fd);
        rmSync(file, { force: true });
        return null;
      }
      closeSync(fd);
      return {
        release: () => {
          try {
            if (parseOwner(readFileSync(file, 'utf8'))?.token === me.token) rmSync(file, { force: true });
          } catch {
            // gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return null;
    }
    let text: string | null = null;
    let st: { mtimeMs: number } | null = null;
    try {
      st = statSync(file);
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') text = ''; // unreadable: judged by its mtime
    }
    const state = judgeGuard(text, st);
    let moved = false;
    if (state.kind === 'left') {
      const removed = removeLeftGuardSync(file, state.token);
      if (removed === 'cannot') return null; // this user may not move it: waiting cannot help
      moved = removed === 'moved';
    }
    if (performance.now() >= deadline) return null;
    if (!moved) Atomics.wait(pause, 0, 0, GUARD_POLL_MS); // no progress on this pass: pause, never spin
  }
}

/** `removeLeftGuard`, synchronous: 'moved', 'gone' (meanwhile), or 'cannot' (this user may not move it). */
function removeLeftGuardSync(file: string, token: string | null): 'moved' | 'gone' | 'cannot' {
  const aside = tempPathFor(file);
  try {
    renameSync(file, aside);
  } catch (err) {
    return cannotChange(err) ? 'cannot' : 'gone';
  }
  try {
    const text = readFileSync(aside, 'utf8');
    if ((parseOwner(text)?.token ?? null) !== token) writeFileSync(file, text, { flag: 'wx' });
  } catch {
    // a newer guard is there: ours was not put back
  }
  rmSync(aside, { force: true });
  return 'moved';
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
