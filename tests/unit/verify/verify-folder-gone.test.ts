/**
 * withFolderForVerify (verify/verify-folder.ts) over a folder that is not there or cannot be
 * written: the verify itself runs and says what it finds (the History screen verifies a run whose
 * folder may be gone), as before the verify group; no raw ENOENT from the group's guard file.
 */
import { chmod, mkdtemp, mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';

let base = '';
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'fanout-verify-folder-gone-'));
});
afterEach(async () => {
  await chmod(join(base, 'ro'), 0o755).catch(() => {});
  await rm(base, { recursive: true, force: true });
});

it('a folder that is gone: the verify runs (and reports it), no error from the lock', async () => {
  expect(await withFolderForVerify(join(base, 'gone'), async () => 'ran')).toBe('ran');
});

it.skipIf(process.getuid?.() === 0)('a folder this user cannot write: read as it is, nothing written', async () => {
  const ro = join(base, 'ro');
  await mkdir(ro);
  await chmod(ro, 0o555);
  expect(await withFolderForVerify(ro, async () => 'ran')).toBe('ran');
  expect(await readdir(ro)).toEqual([]);
});
