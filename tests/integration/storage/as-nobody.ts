import { chmod, chown, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleCli } from '../../../build/cli-bundle.mjs';
import { runProcess, type FanoutCliResult } from '../../harness/fanout-cli';

/** Debian's nobody/nogroup: a user file modes apply to (root reads and writes anything). */
export const NOBODY = 65534;

const repo = resolve(__dirname, '../../..');

/**
 * Why permission faults cannot be made here, or null when they can: the test must be root (to hand
 * folders to another user and run the CLI as that user) on Linux.
 */
export function unprivilegedUnavailable(): string | null {
  if (process.platform !== 'linux') return `permission tests need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'permission tests run the CLI as nobody, which needs root (CI runs as root)';
  return null;
}

/** Says loudly that the permission tests are skipped here, or fails when FANOUT_REQUIRE_SERVERS=1 (as the tmpfs tests do). */
export function skipWithoutUnprivileged(): boolean {
  const why = unprivilegedUnavailable();
  if (!why) return false;
  if (process.env.FANOUT_REQUIRE_SERVERS === '1') throw new Error(`permission tests required but ${why}`);
  console.warn(`\n*** SKIPPING permission-fault tests: ${why} ***\n`);
  return true;
}

export interface NobodyCli {
  /** A folder nobody can reach (0755, root's), for the test's files. */
  base: string;
  /** `fanout <args>` run as nobody (the CLI as built: bundled with its scrub workers), with its data folder under base; a variable of `env` set to undefined is unset. */
  run(args: string[], env?: Record<string, string | undefined>): Promise<FanoutCliResult>;
  /** Hands `path` (and all below it) to nobody. */
  giveToNobody(path: string): Promise<void>;
  remove(): Promise<void>;
}

/** The CLI bundled as `npm run build` ships it, and a base folder for a test, run as nobody. */
export async function nobodyCli(prefix: string): Promise<NobodyCli> {
  const cache = join(repo, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  // Inside the repository: the bundle's externals (piscina) resolve from node_modules above it.
  const bundleDir = await mkdtemp(join(cache, `${prefix}-cli-`));
  const base = await mkdtemp(join(tmpdir(), `${prefix}-`));
  await Promise.all([chmod(bundleDir, 0o755), chmod(base, 0o755)]);
  await bundleCli(repo, bundleDir);
  await chmod(bundleDir, 0o755);
  const data = join(base, 'data');
  await mkdir(data);
  await chown(data, NOBODY, NOBODY);
  const giveToNobody = async (path: string): Promise<void> => {
    await chown(path, NOBODY, NOBODY);
    const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory()) await giveToNobody(join(path, e.name));
      else await chown(join(path, e.name), NOBODY, NOBODY);
    }
  };
  return {
    base,
    run: (args, env = {}) =>
      runProcess(process.execPath, [join(bundleDir, 'index.js'), ...args], {
        cwd: base,
        env: { ...process.env, HOME: data, FANOUT_DATA_DIR: data, FANOUT_DEBUG: '', ...env },
        uid: NOBODY,
        gid: NOBODY,
        timeoutMs: 90_000,
      }),
    giveToNobody,
    async remove() {
      await rm(bundleDir, { recursive: true, force: true });
      await rm(base, { recursive: true, force: true });
    },
  };
}
