/**
 * `fanout serve` by a user whose data folder cannot be made or written (a service account: HOME
 * /nonexistent; no FANOUT_DATA_DIR): refused at start, exit 2, naming the folder, as `--data-dir`
 * is. It served the page, and every save (history, settings, saved passwords, a downloaded
 * catalog) then failed, said only at each job's end. Run as nobody (root writes anywhere).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nobodyCli, skipWithoutUnprivileged, type NobodyCli } from './as-nobody';

const skip = skipWithoutUnprivileged();
let cli: NobodyCli;
let closed: string;

beforeAll(async () => {
  if (skip) return;
  cli = await nobodyCli('fanout-serve-data');
  closed = await mkdtemp(join(tmpdir(), 'fanout-closed-home-'));
  await chmod(closed, 0o755); // root's: nobody may not create .fanout in it
}, 120_000);

afterAll(async () => {
  await cli?.remove();
  if (closed) await rm(closed, { recursive: true, force: true });
});

describe.skipIf(skip)('fanout serve with a data folder this user cannot make', () => {
  it('the default (~/.fanout under a HOME it may not write): exit 2 naming it, nothing served', async () => {
    const r = await cli.run(['serve', '--port', '0'], { HOME: closed, FANOUT_DATA_DIR: undefined });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).not.toContain('Fanout is running');
    expect(r.stderr).toMatch(new RegExp(`^error: data folder ${join(closed, '.fanout').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot be created: .* is not writable \\(permission denied\\)`, 'm'));
  }, 120_000);

  it('FANOUT_DATA_DIR in a folder it may not write: exit 2 naming the variable', async () => {
    const r = await cli.run(['serve', '--port', '0'], { FANOUT_DATA_DIR: join(closed, 'data') });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error: FANOUT_DATA_DIR .*: cannot be created/m);
  }, 120_000);
});
