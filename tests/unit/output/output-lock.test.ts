import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { LOCK_FILE, acquireOutputLock, withOutputLock } from '../../../electron/engine/output/output-lock';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The PID of a process that has exited (and been reaped): certainly not alive. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await once(child, 'exit');
  return child.pid!;
}

async function caught(p: Promise<unknown>): Promise<FanoutError> {
  try {
    await p;
  } catch (err) {
    return err as FanoutError;
  }
  throw new Error('expected a rejection');
}

describe('output-folder lock', () => {
  it('refuses a second job at once, naming the folder, the PID and since when; free again after release', async () => {
    const first = await acquireOutputLock(dir, 'gutenberg');
    const err = await caught(acquireOutputLock(dir, 'mail'));
    expect(err).toBeInstanceOf(FanoutError);
    expect(err.code).toBe('OUTPUT_LOCKED');
    expect(err.context.folder).toBe(dir);
    expect(err.message).toContain(dir);
    expect(err.message).toContain(`process ${process.pid}`);
    expect(err.message).toContain(first.owner.since);
    expect(err.message).toContain('gutenberg');
    await first.release();
    expect(await readdir(dir)).toEqual([]);
    await withOutputLock(dir, 'mail', async () => {
      expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, kind: 'mail' });
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('lets exactly one of many simultaneous takers win', async () => {
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => acquireOutputLock(dir, 'gutenberg')));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as FanoutError).code).toBe('OUTPUT_LOCKED');
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireOutputLock>>>).value.release();
  });

  it("takes over a dead process's lock, exactly once among simultaneous takers", async () => {
    const pid = await deadPid();
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), since: '2020-01-01T00:00:00.000Z', kind: 'gutenberg', token: 'dead' }));
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquireOutputLock(dir, 'gutenberg')));
    const won = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof acquireOutputLock>>> => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const owner = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, token: won[0]!.value.owner.token });
    await won[0]!.value.release();
  });

  it('a torn lock or a takeover file left with an mtime an hour ahead (a clock ahead, NFS) is taken over, not refused for ever as "just starting"', async () => {
    const ahead = new Date(Date.now() + 3_600_000);
    await writeFile(join(dir, LOCK_FILE), '{"pid":');
    await utimes(join(dir, LOCK_FILE), ahead, ahead);
    await (await acquireOutputLock(dir, 'gutenberg')).release(); // was OUTPUT_LOCKED: 'another process that is just starting'
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: await deadPid(), host: hostname(), since: '2020-01-01T00:00:00.000Z', kind: 'gutenberg', token: 'dead' }));
    await writeFile(join(dir, `${LOCK_FILE}.takeover`), '');
    await utimes(join(dir, `${LOCK_FILE}.takeover`), ahead, ahead);
    await (await acquireOutputLock(dir, 'gutenberg')).release(); // was the same
    expect(await readdir(dir)).toEqual([]);
  });

  it.skipIf(process.platform !== 'linux')('takes over the lock of a holder that was killed but not yet reaped (a zombie)', async () => {
    // A re-launched CLI whose launcher was killed is reaped by init, whenever that comes: until then
    // kill(pid, 0) still answers. Here bash forks a child and execs a long sleep that never reaps it;
    // the child exits only once that exec has happened (bash itself would reap it, and a fixed short
    // sleep could end before the exec on a loaded machine: the pid was then gone, no zombie).
    const script = 'for i in $(seq 1 2000); do [ "$(cat /proc/$$/comm)" = bash ] || exit 0; sleep 0.01; done & echo $!; exec sleep 30';
    const parent = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
      const pid = Number(String(line).trim());
      for (let i = 0; i < 200 && !/\) Z /.test(await readFile(`/proc/${pid}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 25));
      expect(await readFile(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /);
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), since: '2020-01-01T00:00:00.000Z', kind: 'gutenberg', token: 'zombie' }));
      const lock = await acquireOutputLock(dir, 'gutenberg');
      expect(lock.owner.pid).toBe(process.pid);
      await lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('never breaks a lock held on another host, and a release never removes a lock it does not own', async () => {
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere.example', since: '2020-01-01T00:00:00.000Z', kind: 'mail', token: 't' }));
    const err = await caught(acquireOutputLock(dir, 'gutenberg'));
    expect(err.code).toBe('OUTPUT_LOCKED');
    expect(err.message).toContain('on elsewhere.example');
    await rm(join(dir, LOCK_FILE));
    const mine = await acquireOutputLock(dir, 'gutenberg');
    // Someone removed our lock by hand and another job took the folder: our release leaves theirs.
    await rm(join(dir, LOCK_FILE));
    const theirs = await acquireOutputLock(dir, 'mail');
    await mine.release();
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).token).toBe(theirs.owner.token);
    await theirs.release();
  });

  it('a folder that cannot be written is OUTPUT_NOT_WRITABLE, not a raw error', async () => {
    const err = await caught(acquireOutputLock(join(dir, 'does-not-exist'), 'gutenberg'));
    // The folder is not there (removed since it was made): a typed error naming it, with the
    // ENOENT kept as the cause (prepare-folder.ts makes the folder again on that).
    expect(err).toBeInstanceOf(FanoutError);
    expect(err.code).toBe('OUTPUT_NOT_WRITABLE');
    expect(err.message).toContain(`${join(dir, 'does-not-exist')} is gone`);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
