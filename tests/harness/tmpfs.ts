import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A small tmpfs mounted for a storage test: a real file system that really fills up or goes read-only. */
export interface Tmpfs {
  dir: string;
  /** `mount -o remount,ro` / `rw`. */
  readOnly(on: boolean): Promise<void>;
  /** Changes the size (`remount,size=`): frees space for a re-run. */
  resize(bytes: number): Promise<void>;
  /** Unmounts and removes the mount point (idempotent). */
  unmount(): Promise<void>;
}

/** Why tmpfs mounts cannot be made here (not root, no CAP_SYS_ADMIN), or null when they can. */
let probe: Promise<string | null> | null = null;
export function tmpfsUnavailable(): Promise<string | null> {
  probe ??= (async () => {
    if (process.platform !== 'linux') return `tmpfs mounts need Linux (this is ${process.platform})`;
    try {
      const fs = await mountTmpfs(64 * 1024);
      await fs.unmount();
      return null;
    } catch (err) {
      return `cannot mount a tmpfs (run as root; CI does): ${(err as Error).message.split('\n')[0]}`;
    }
  })();
  return probe;
}

/**
 * Says loudly that storage tests are skipped here, or fails when FANOUT_REQUIRE_SERVERS=1 (CI
 * runs as root, so a skip there would hide a broken test).
 */
export async function skipWithoutTmpfs(): Promise<boolean> {
  const why = await tmpfsUnavailable();
  if (!why) return false;
  if (process.env.FANOUT_REQUIRE_SERVERS === '1') throw new Error(`storage tests required but ${why}`);
  console.warn(`\n*** SKIPPING storage tests on real file systems: ${why} ***\n`);
  return true;
}

export async function mountTmpfs(sizeBytes: number): Promise<Tmpfs> {
  const dir = await mkdtemp(join(tmpdir(), 'fanout-tmpfs-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir], { timeout: 10_000 });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let mounted = true;
  return {
    dir,
    async readOnly(on) {
      await run('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, dir], { timeout: 10_000 });
    },
    async resize(bytes) {
      await run('mount', ['-o', `remount,size=${bytes}`, dir], { timeout: 10_000 });
    },
    async unmount() {
      if (!mounted) return;
      // Lazy: a child process killed a moment ago may still hold a file open.
      await run('umount', ['-l', dir], { timeout: 10_000 });
      mounted = false;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
