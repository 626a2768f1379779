/**
 * withFolderForVerify (verify/verify-folder.ts) over a folder that is not there or cannot be
 * written: the verify itself runs and says what it finds (the History screen verifies a run whose
 * folder may be gone), as before the verify group; no raw ENOENT from the group's guard file.
 * The read-only case runs as nobody when this is root (root writes anything; CI runs as root), in a
 * child process (verify-child-entry.ts); as this user otherwise.
 */
import { chmod, mkdtemp, mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';
import { verifyChild } from './verify-child';

/** Debian's nobody/nogroup. */
const NOBODY = 65534;

let base = '';
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'fanout-verify-folder-gone-'));
  await chmod(base, 0o755); // nobody reaches the folder inside
});
afterEach(async () => {
  await chmod(join(base, 'ro'), 0o755).catch(() => {});
  await rm(base, { recursive: true, force: true });
});

it('a folder that is gone: the verify runs (and reports it), no error from the lock', async () => {
  expect(await withFolderForVerify(join(base, 'gone'), async () => 'ran')).toBe('ran');
});

it.skipIf(process.platform === 'win32')('a folder this user cannot write: read as it is, nothing written', async () => {
  const ro = join(base, 'ro');
  await mkdir(ro);
  await chmod(ro, 0o555);
  if (process.getuid?.() === 0) {
    const child = verifyChild('once', ro, { uid: NOBODY, gid: NOBODY });
    expect(await child.saidOrEnded('result:', 'error:')).toBe('result: ok');
    expect(await child.ended).toBe(0);
  } else {
    expect(await withFolderForVerify(ro, async () => 'ran')).toBe('ran');
  }
  expect(await readdir(ro)).toEqual([]);
});
