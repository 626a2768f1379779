/**
 * s17 (HE's finding 4): a folder this user cannot write (another user's corpus, read-only media) that holds a
 * .fanout.verify.guard left by a verify that was killed there. Before b0b4d85 it was read as it is
 * (77 ms); since, takeGuard judges the guard left over, cannot move it aside (EACCES), loops without
 * a pause for the whole 30 s wait (7.5 s of CPU measured) and throws OUTPUT_LOCKED "another verify has
 * been joining or leaving ... remove <guard>", which this user cannot do.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';
import { verifyChild } from './verify-child';

const NOBODY = 65534;
let base = '';
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'verify-guard-ro-'));
  await chmod(base, 0o755);
});
afterEach(async () => {
  await chmod(join(base, 'ro'), 0o755).catch(() => {});
  await rm(base, { recursive: true, force: true });
});

it.skipIf(process.platform === 'win32')('a folder this user cannot write, with a dead verify\'s guard in it: read as it is, at once', async () => {
  const ro = join(base, 'ro');
  await mkdir(ro);
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  await writeFile(join(ro, '.fanout.verify.guard'), JSON.stringify({ pid: dead, host: hostname(), since: new Date().toISOString(), kind: 'verify', token: 'deaddeaddeaddead' }));
  await chmod(ro, 0o555);
  if (process.getuid?.() === 0) {
    const child = verifyChild('once', ro, { uid: NOBODY, gid: NOBODY });
    // At HEAD: 'error: OUTPUT_LOCKED … another verify has been joining or leaving … for over 30 s' after 30 s.
    expect(await child.saidOrEnded('result:', 'error:')).toBe('result: ok');
    expect(await child.ended).toBe(0);
  } else {
    expect(await withFolderForVerify(ro, async () => 'ran')).toBe('ran');
  }
  expect((await readdir(ro)).sort()).toEqual(['.fanout.verify.guard']);
}, 60_000);
