/**
 * s19, PID reuse: a lock (or a verify group's record, or its guard) left by a process killed before
 * a reboot, or before its PID wrapped, names a PID that another, unrelated process may have now.
 * `kill(pid, 0)` alone read that holder as alive for ever ("in use by a gutenberg job, process N"),
 * the folder refused to every job until the user removed the lock by hand. The owner record now
 * says when its process started (Linux: /proc/<pid>/stat field 22, clock ticks since boot) and in
 * which boot (/proc/sys/kernel/random/boot_id): a live PID whose start or boot differs is another
 * process, and the holder is dead. Records without them (earlier versions) keep the old rule.
 *
 * The "reused" PID is a live `sleep` spawned here (unrelated to the record); no timing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, VERIFY_READERS_DIR, acquireOutputLock, isAlive, parseOwner } from '../../../electron/engine/output/output-lock';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';

const linux = process.platform === 'linux';

/** Field 22 of /proc/<pid>/stat: when the process started, clock ticks since boot. */
async function startOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

let sleeper: ChildProcess;
let pid = 0;
let start = 0;
let boot = '';
beforeAll(async () => {
  if (!linux) return;
  sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  pid = sleeper.pid!;
  start = await startOf(pid);
  boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
});
afterAll(() => {
  sleeper?.kill('SIGKILL');
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-lock-reuse-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (extra: Record<string, unknown>, kind = 'gutenberg', token = 'feedfacefeedface') =>
  JSON.stringify({ pid, host: hostname(), since: '2020-01-01T00:00:00.000Z', kind, token, ...extra });

describe.skipIf(!linux)('a lock whose PID another process has now', () => {
  it('the lock records when its process started and in which boot', async () => {
    const lock = await acquireOutputLock(dir, 'gutenberg');
    const owner = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, start: await startOf(process.pid), boot });
    expect(parseOwner(JSON.stringify(owner))).toMatchObject({ start: owner.start, boot });
    await lock.release();
  });

  it('a live PID that started at another time is not the holder: the lock is taken over (was: "in use" for ever)', async () => {
    await writeFile(join(dir, LOCK_FILE), record({ start: start - 1, boot }));
    const lock = await acquireOutputLock(dir, 'gutenberg');
    expect(lock.owner.pid).toBe(process.pid);
    await lock.release();
  });

  it('a live PID of the same start but another boot (a lock left before a reboot) is taken over', async () => {
    await writeFile(join(dir, LOCK_FILE), record({ start, boot: '00000000-0000-0000-0000-000000000000' }));
    await (await acquireOutputLock(dir, 'mail')).release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('the same PID, start and boot is the holder: refused; a record without a start (an earlier version) keeps the old rule', async () => {
    await writeFile(join(dir, LOCK_FILE), record({ start, boot }));
    await expect(acquireOutputLock(dir, 'gutenberg')).rejects.toMatchObject({ code: 'OUTPUT_LOCKED', message: expect.stringContaining(`process ${pid},`) });
    await writeFile(join(dir, LOCK_FILE), record({}));
    await expect(acquireOutputLock(dir, 'gutenberg')).rejects.toMatchObject({ code: 'OUTPUT_LOCKED' });
    expect(isAlive(parseOwner(record({}))!)).toBe(true);
    expect(isAlive(parseOwner(record({ start: start + 1, boot }))!)).toBe(false);
  });

  it("a dead verify's lock whose group record names a reused PID: no verify reads, a job takes the folder and removes the record", async () => {
    await writeFile(join(dir, LOCK_FILE), record({ start: start + 1, boot }, 'verify', 'a1a1a1a1a1a1a1a1'));
    await mkdir(join(dir, VERIFY_READERS_DIR));
    await writeFile(join(dir, VERIFY_READERS_DIR, 'b2b2b2b2b2b2b2b2.json'), record({ start: start + 1, boot }, 'verify', 'b2b2b2b2b2b2b2b2'));
    const lock = await acquireOutputLock(dir, 'gutenberg');
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("a verify's guard left by a PID now reused is removed at once, not waited for (was: OUTPUT_LOCKED after the wait)", async () => {
    await writeFile(join(dir, '.fanout.verify.guard'), record({ start: start + 1, boot }, 'verify'));
    const held = await withFolderForVerify(dir, async () => JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as { pid: number; start?: number }, { guardWaitMs: 200 });
    expect(held).toMatchObject({ pid: process.pid, start: await startOf(process.pid) });
    expect(await readdir(dir)).toEqual([]);
  });

  it('a verify joining a group records its start too (its group record and the guard it writes)', async () => {
    const first = await acquireOutputLock(dir, 'verify'); // a verify holds the lock: the next one joins
    const records = await withFolderForVerify(dir, async () => {
      const names = await readdir(join(dir, VERIFY_READERS_DIR));
      return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, VERIFY_READERS_DIR, n), 'utf8'))));
    });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ pid: process.pid, start: await startOf(process.pid), boot });
    await first.release();
  });
});
