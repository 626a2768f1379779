/**
 * The verify group's guard (`.fanout.verify.guard`, verify/verify-folder.ts), held while a verify
 * joins or leaves: it names its holder (pid, host, token) and is judged like a lock's holder, by
 * whether that process runs, not by its mtime. Before, one left with an mtime in the future (an NFS
 * clock ahead) made every verify wait forever; one held by a live verify for over 10 s (an fsync on
 * a stalled disk) was removed under it; and a verify's release removed whatever guard was there.
 */
import { spawnSync } from 'node:child_process';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';
import { corporaIn } from './verify-child';

const hooks = vi.hoisted(() => ({ beforeLock: null as null | ((dir: string) => Promise<void>) }));
vi.mock('../../../electron/engine/output/output-lock', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../electron/engine/output/output-lock')>();
  return {
    ...real,
    acquireOutputLock: async (folder: string, kind: string) => {
      const hook = hooks.beforeLock;
      hooks.beforeLock = null;
      if (hook) await hook(folder);
      return real.acquireOutputLock(folder, kind);
    },
  };
});

const { corpus } = corporaIn('fanout-verify-guard-');

const guardOf = (dir: string) => join(dir, '.fanout.verify.guard');
const record = (pid: number, token: string) => JSON.stringify({ pid, host: hostname(), since: new Date().toISOString(), kind: 'verify', token });
/** A pid no process has now: a child that has ended (and been reaped). */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
const inAnHour = new Date(Date.now() + 3_600_000);
const anHourAgo = new Date(Date.now() - 3_600_000);

it('a guard left by an earlier version (empty) with an mtime an hour ahead: the verify runs (was: waited forever)', async () => {
  const dir = await corpus('future-empty');
  await writeFile(guardOf(dir), '');
  await utimes(guardOf(dir), inAnHour, inAnHour);
  expect(await withFolderForVerify(dir, async () => 'ran')).toBe('ran');
}, 30_000);

it('a guard whose holder has ended, its mtime an hour ahead: the verify runs (was: waited forever)', async () => {
  const dir = await corpus('future-dead');
  await writeFile(guardOf(dir), record(deadPid(), 'deaddeaddeaddead'));
  await utimes(guardOf(dir), inAnHour, inAnHour);
  expect(await withFolderForVerify(dir, async () => 'ran')).toBe('ran');
}, 30_000);

it('a guard held by a live process for an hour (a stalled disk): not taken; past the wait, OUTPUT_LOCKED naming it, the guard left (was: removed, the verify went in)', async () => {
  const dir = await corpus('live-old');
  await writeFile(guardOf(dir), record(process.pid, 'a1a1a1a1a1a1a1a1'));
  await utimes(guardOf(dir), anHourAgo, anHourAgo);
  await expect(withFolderForVerify(dir, async () => 'ran', { guardWaitMs: 200 })).rejects.toMatchObject({
    code: 'OUTPUT_LOCKED',
    message: expect.stringContaining(`another verify (process ${process.pid}, since`),
  });
  expect(JSON.parse(await readFile(guardOf(dir), 'utf8'))).toMatchObject({ token: 'a1a1a1a1a1a1a1a1' });
});

it("a verify's release removes only its own guard (another's, put in its place meanwhile, stays)", async () => {
  const dir = await corpus('release-own');
  hooks.beforeLock = async (d) => {
    // Under the verify's guard, another process replaces it (one that judged it left over).
    await writeFile(guardOf(d), record(process.pid, 'b2b2b2b2b2b2b2b2'));
  };
  // Its leave then finds the guard held past the wait and leaves without it (never an error).
  expect(await withFolderForVerify(dir, async () => 'ran', { guardWaitMs: 200 })).toBe('ran');
  expect(hooks.beforeLock).toBeNull();
  expect(JSON.parse(await readFile(guardOf(dir), 'utf8'))).toMatchObject({ token: 'b2b2b2b2b2b2b2b2' });
});
