/**
 * s19 (sibling of the retried opens): a verify leaving its group reads the other verifies' records
 * to hand the lock over (verify-folder.ts `liveMember`). A record whose read failed (EMFILE: this
 * process at its open-files limit) was read as '' and removed as a dead verify's, though that verify
 * still read the folder: its record gone, the next job no longer kept out by it. The read is now
 * tried again (`readFileRetrying`), and a record that still cannot be read is left, not removed. The
 * EMFILE comes from a mocked `readFile` (node:fs/promises) for that record only, on every try.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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

const { withFolderForVerify } = await import('../../../electron/engine/verify/verify-folder');

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-verify-record-emfile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("a live verify's record that cannot be read (EMFILE) when another leaves is kept, not removed as a dead one's", async () => {
  const other = join(dir, '.fanout.verify', 'c3c3c3c3c3c3c3c3.json');
  await withFolderForVerify(dir, async () => {
    // Another verify of the group (alive: this process), joined while this one reads.
    await writeFile(other, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), kind: 'verify', token: 'c3c3c3c3c3c3c3c3' }));
    limit.file = other;
  });
  limit.file = '\0';
  expect(limit.fired).toBeGreaterThan(1); // tried again
  expect(await readdir(join(dir, '.fanout.verify'))).toEqual(['c3c3c3c3c3c3c3c3.json']);
}, 30_000);
