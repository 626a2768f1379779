import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_FROM_SOURCE_TEST_MS, runProcess } from '../../harness/fanout-cli';
import { GUTENBERG_MIRRORS } from '../../../shared/gutenberg-mirrors';

const repo = resolve(__dirname, '../../..');

/**
 * A network namespace of its own (no interface but a down loopback): root or CAP_SYS_ADMIN. Where it
 * cannot be had, the test is skipped loudly, or fails when FANOUT_REQUIRE_SERVERS=1 (CI), as the
 * storage tests do (harness/tmpfs.ts).
 */
function canUnshareNet(): boolean {
  try {
    execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch (err) {
    const why = `unshare -n failed (${(err as Error).message.split('\n')[0]})`;
    if (process.env.FANOUT_REQUIRE_SERVERS === '1') throw new Error(`the offline mirrors test is required but ${why}`);
    console.warn(`\n*** SKIPPING the offline mirrors test: ${why} ***\n`);
    return false;
  }
}

/**
 * `fanout mirrors --probe` on a machine with no network: every mirror is "unreachable:
 * getaddrinfo EAI_AGAIN …", and before this the command ended there with exit 0, as if probing
 * had worked. Now one line says no mirror answered and why (every name lookup failed), exit 1.
 */
describe.skipIf(!canUnshareNet())('fanout mirrors --probe with no network', () => {
  it('says no mirror answered, that name lookups failed, and exits 1', async () => {
    const r = await runProcess('unshare', ['-n', process.execPath, 'bin/fanout.js', 'mirrors', '--probe', '--timeout', '3000'], {
      cwd: repo,
      env: { ...process.env, FANOUT_FROM_SOURCE: '1', FANOUT_DEBUG: '' },
      timeoutMs: CLI_FROM_SOURCE_TEST_MS - 10_000,
    });
    expect(r.stdout).toMatch(/unreachable: getaddrinfo/);
    expect(r.stderr.trim()).toBe(`error: none of the ${GUTENBERG_MIRRORS.length} mirrors answered: every name lookup failed (getaddrinfo EAI_AGAIN); is this machine offline? Check its network and DNS`);
    expect(r.code).toBe(1);
  }, CLI_FROM_SOURCE_TEST_MS);
});
