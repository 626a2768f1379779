/**
 * A checkout updated without `npm run build` has an out/cli/ older than bin/fanout.js. bin/fanout.js
 * imports out/cli/mail-early.js for `fanout mail`; with a build from before that entry existed, every
 * mail job failed ERR_MODULE_NOT_FOUND (and bench:startup waited for ever on a job that never
 * connected). Such a build is now passed over for the sources.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyCheckout } from '../../harness/checkout-copy';
import { CLI_FROM_SOURCE_TEST_MS } from '../../harness/fanout-cli';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-stale-build-'));
  await copyCheckout(dir);
  // The old build: its index only (it would say so if it ran).
  await mkdir(join(dir, 'out', 'cli'), { recursive: true });
  await writeFile(join(dir, 'out', 'cli', 'index.js'), "console.error('the stale build ran'); process.exit(7);\n");
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it(
  'fanout mail with a build older than bin/ runs the sources',
  () => {
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'fanout.js'), 'mail', '--host', '127.0.0.1', '--user', 'u', '--password-env', 'FANOUT_TEST_UNSET_SECRET', '--out', join(dir, 'out-mail')], {
      cwd: dir,
      env: { ...process.env, FANOUT_TEST_UNSET_SECRET: '', FANOUT_FROM_SOURCE: '' },
      encoding: 'utf8',
      timeout: CLI_FROM_SOURCE_TEST_MS - 10_000,
    });
    expect(r.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(r.stderr).not.toContain('the stale build ran');
    // The CLI's own check of the command line ran (from the sources).
    expect(r.stderr).toContain('FANOUT_TEST_UNSET_SECRET is not set');
    expect(r.status).toBe(2);
  },
  CLI_FROM_SOURCE_TEST_MS,
);
