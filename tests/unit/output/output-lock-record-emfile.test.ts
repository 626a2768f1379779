/**
 * s19 (sibling of the retried opens): a job finding a dead verify's lock reads the verify group's
 * records (output-lock.ts `liveVerifyReader`): a verify still reading keeps the folder. A record
 * whose read failed (EMFILE: this process at its open-files limit, past the retries) was read as
 * 'gone', so the job broke the lock, and removed that live verify's record with the dead group,
 * while the verify still read. Now a record that cannot be read is not taken for a dead one: the job
 * is refused OUT_OF_RESOURCES (it can be run again once files are free) and nothing is removed. The
 * EMFILE comes from a mocked `readFile` (node:fs/promises) for that record only, on every try.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';

const limit = vi.hoisted(() => ({ file: '\0', fired: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs/promises')>();
  const readFileMocked = ((path: Parameters<typeof orig.readFile>[0], ...rest: unknown[]) => {
    if (String(path) === limit.file) {
      limit.fired++;
      return Promise.reject(Object.assign(new Error(`EMFILE: too many open files, open '${String(path)}'`), { code: 'EMFILE', errno: -24, syscall: 'open', path: String(path) }));
    }
    return (orig.readFile as (...a: unknown[]) => Promise<unknown>)(path, ...rest);
  }) as typeof orig.readFile;
  return { ...orig, default: { ...orig, readFile: readFileMocked }, readFile: readFileMocked };
});

const { acquireOutputLock, LOCK_FILE, VERIFY_READERS_DIR } = await import('../../../electron/engine/output/output-lock');

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-lock-record-emfile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("a dead verify's lock whose group holds a record that cannot be read (EMFILE): refused OUT_OF_RESOURCES, nothing broken or removed (was: taken over, the live verify's record removed)", async () => {
  const child = spawn(process.execPath, ['-e', '0']);
  await once(child, 'exit');
  const dead = { pid: child.pid!, host: hostname(), since: '2020-01-01T00:00:00.000Z', kind: 'verify', token: 'deaddeaddeaddead' };
  await writeFile(join(dir, LOCK_FILE), JSON.stringify(dead));
  await mkdir(join(dir, VERIFY_READERS_DIR));
  const live = join(dir, VERIFY_READERS_DIR, 'e5e5e5e5e5e5e5e5.json');
  await writeFile(live, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), kind: 'verify', token: 'e5e5e5e5e5e5e5e5' }));
  limit.file = live;
  try {
    await expect(acquireOutputLock(dir, 'gutenberg')).rejects.toMatchObject({ code: 'OUT_OF_RESOURCES' });
  } finally {
    limit.file = '\0';
  }
  expect(limit.fired).toBeGreaterThan(1); // tried again first
  expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ token: 'deaddeaddeaddead' });
  expect(await readdir(join(dir, VERIFY_READERS_DIR))).toEqual(['e5e5e5e5e5e5e5e5.json']);
}, 30_000);
