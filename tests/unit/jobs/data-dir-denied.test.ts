/**
 * A data-folder file this user may not read (another user's, mode 0600: a `sudo fanout serve` once)
 * is told apart on the one read (jobs/data-dir.ts `readDataJson`: `denied`, OUTPUT_NOT_WRITABLE
 * naming it), and setting it aside with that read refuses with that error and leaves it where it is
 * (before, the read called it damaged and `setAsideDamaged` opened it again to tell). Run as nobody
 * when this is root (root reads any file; CI runs as root), in a child process; as this user otherwise.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const repo = resolve(__dirname, '../../..');
/** Debian's nobody/nogroup. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

let base = '';
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'fanout-data-denied-'));
  await chmod(base, 0o755);
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

it.skipIf(process.platform === 'win32')("a history.json this user may not read: denied on the read, not set aside, left as it is", async () => {
  const file = join(base, 'history.json');
  await writeFile(file, '[]', { mode: 0o600 });
  if (!asRoot) await chmod(file, 0o000);
  const out = await new Promise<string>((done, fail) =>
    execFile(process.execPath, ['--import', 'tsx', join(repo, 'tests/unit/jobs/data-dir-denied-entry.ts'), file], { cwd: repo, ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}) }, (err, stdout, stderr) =>
      err ? fail(new Error(`${err.message}\n${stderr}`)) : done(stdout),
    ),
  );
  const got = JSON.parse(out) as { read: { kind: string; denied: { code: string; message: string } | null }; aside: { code?: string; message?: string; keptAs?: string } };
  expect(got.read.kind).toBe('damaged');
  expect(got.read.denied).toMatchObject({ code: 'OUTPUT_NOT_WRITABLE', message: expect.stringMatching(/permission denied \((EACCES|EPERM)\) on .*history\.json/) }); // was null
  expect(got.aside).toEqual(got.read.denied);
  await chmod(file, 0o600);
  expect(await readdir(base)).toEqual(['history.json']);
  expect(await readFile(file, 'utf8')).toBe('[]');
});
