/**
 * s17 (HE's finding 5): settings.json (or hosts.json) this user may not read is refused on save, naming
 * the file and the permission to fix. Once the user fixed it, the next save in the same process reads
 * the file again and saves, keeping what it held; it was refused for the life of the process (the
 * denied read was cached). Run as nobody when this is root (root reads any file; CI runs as root), in
 * a child process; as this user otherwise.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const repo = resolve(__dirname, '../../..');
/** Debian's nobody/nogroup. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

let base = '';
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'fanout-data-denied-fixed-'));
  await chmod(base, 0o755);
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

it.skipIf(process.platform === 'win32')('settings.json and hosts.json denied, then their permissions fixed: the next save reads them again and saves, keeping what they held', async () => {
  const dir = join(base, 'data');
  await mkdir(dir, { mode: 0o755 });
  const since = new Date().toISOString();
  await writeFile(join(dir, 'settings.json'), JSON.stringify({ lastCatalog: '/kept/catalog.csv', workers: 7 }));
  await writeFile(join(dir, 'hosts.json'), JSON.stringify({ lockStep: { 'old.example': { reason: 'kept', since } }, connectionLimits: {}, autoKnees: {} }));
  for (const f of [dir, join(dir, 'settings.json'), join(dir, 'hosts.json')]) if (asRoot) await chown(f, NOBODY, NOBODY);
  await chmod(join(dir, 'settings.json'), 0o000);
  await chmod(join(dir, 'hosts.json'), 0o000);
  const out = await new Promise<string>((done, fail) =>
    execFile(process.execPath, ['--import', 'tsx', join(repo, 'tests/unit/jobs/data-denied-fixed-entry.ts'), dir], { cwd: repo, ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}) }, (err, stdout, stderr) =>
      err ? fail(new Error(`${err.message}\n${stderr}`)) : done(stdout),
    ),
  );
  const got = JSON.parse(out) as { save1: string; save2: string; damage: string | null; before: boolean; settings: Record<string, unknown>; lockStep: string[] };
  expect(got.save1).toBe('OUTPUT_NOT_WRITABLE');
  expect(got.before).toBe(false); // denied: nothing remembered is read
  expect(got.save2).toBe('saved'); // was OUTPUT_NOT_WRITABLE until the process ended
  expect(got.damage).toBeNull();
  expect(got.settings).toMatchObject({ lastCatalog: '/kept/catalog.csv', workers: 5 });
  expect(got.lockStep).toEqual(['old.example', 'second.example']); // was ['old.example'] (nothing saved)
});
