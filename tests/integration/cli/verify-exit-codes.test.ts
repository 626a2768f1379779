/**
 * `fanout verify` exits 1 whether it found problems or could not verify at all. The
 * CLI's documented codes (electron/cli/exit-codes.ts) say 2 is bad input; 51bc953's BAD_INPUT
 * 'Cannot verify <root>: nothing to check it against' exits 1, like a damaged archive, so a script
 * cannot tell "the archive has problems" from "verify did not run".
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accountDirOf } from '../../../electron/engine/mail/folder-names';
import { CLI_FROM_SOURCE_TEST_MS, runFanoutCli as fanout } from '../../harness/fanout-cli';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-he-verify-exit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('verify mail over an account folder with nothing to check: BAD_INPUT, exit 2 (bad input), not 1 (problems found)', async () => {
  const out = join(dir, 'mail');
  const account = accountDirOf(out, { user: 'me', host: '127.0.0.1' });
  await mkdir(account, { recursive: true });
  await writeFile(join(account, 'folders.json'), JSON.stringify({ version: 1, dirs: {} }));
  const r = await fanout(['verify', 'mail', '--host', '127.0.0.1', '--port', '9', '--tls', 'none', '--user', 'me', '--password-env', 'FANOUT_TEST_PW', '--out', out], { env: { FANOUT_TEST_PW: 'pw' } });
  expect(r.stderr).toMatch(/nothing to check it against.*\[BAD_INPUT\]/s);
  expect(r.code).toBe(2);
}, CLI_FROM_SOURCE_TEST_MS);
