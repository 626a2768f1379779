/**
 * Tests that lower a process's limits with `prlimit` (util-linux, Linux): why it cannot be used
 * here, or null. Under FANOUT_REQUIRE_SERVERS=1 (CI) a missing prlimit fails the test file instead
 * of skipping it; otherwise the skip is said loudly.
 */
import { execFileSync } from 'node:child_process';

export function prlimitMissing(): string | null {
  if (process.platform !== 'linux') return `prlimit needs Linux (this is ${process.platform})`;
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'prlimit (util-linux) is not installed';
  }
}

/** `prlimitMissing()`, thrown under FANOUT_REQUIRE_SERVERS=1, warned about otherwise: null when the `what` tests can run. */
export function prlimitSkip(what: string): string | null {
  const why = prlimitMissing();
  if (why && process.env.FANOUT_REQUIRE_SERVERS === '1') throw new Error(`${what} required but ${why}`);
  if (why) console.warn(`\n*** SKIPPING ${what}: ${why} ***\n`);
  return why;
}
