import { readdirSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirSyncGroup } from '../../../electron/engine/output/dir-sync-group';

/** A folder fsync the test finishes by hand, recording when each started and ended. */
function manualSyncs() {
  const log: string[] = [];
  const pending: Array<() => void> = [];
  let n = 0;
  const sync = (dir: string) => {
    const id = ++n;
    log.push(`start ${id} ${dir}`);
    return new Promise<void>((resolve) => pending.push(() => (log.push(`end ${id}`), resolve())));
  };
  return { log, sync, finishNext: () => pending.shift()?.(), pending: () => pending.length };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('DirSyncGroup', () => {
  it('a call made while an fsync runs waits for a later one; calls during one fsync share the next', async () => {
    const m = manualSyncs();
    const group = new DirSyncGroup(m.sync);
    const done: string[] = [];
    const first = group.sync('/d').then(() => done.push('first'));
    const second = group.sync('/d').then(() => done.push('second'));
    const third = group.sync('/d').then(() => done.push('third'));
    expect(m.log).toEqual(['start 1 /d']);
    m.finishNext();
    await tick();
    expect(done).toEqual(['first']); // the others arrived during fsync 1: not covered by it
    expect(m.log).toEqual(['start 1 /d', 'end 1', 'start 2 /d']); // one fsync for both
    m.finishNext();
    await Promise.all([first, second, third]);
    expect(done).toEqual(['first', 'second', 'third']);
    expect(m.pending()).toBe(0);
  });

  it('folders are independent, and a call after everything settled starts a new fsync', async () => {
    const m = manualSyncs();
    const group = new DirSyncGroup(m.sync);
    const a = group.sync('/a');
    const b = group.sync('/b');
    expect(m.log).toEqual(['start 1 /a', 'start 2 /b']);
    m.finishNext();
    m.finishNext();
    await Promise.all([a, b]);
    const again = group.sync('/a');
    expect(m.log.at(-1)).toBe('start 3 /a');
    m.finishNext();
    await again;
  });

  it('a failed fsync rejects its callers; the queued one still runs', async () => {
    let calls = 0;
    let failFirst: (e: Error) => void = () => {};
    const group = new DirSyncGroup(() => (++calls === 1 ? new Promise<void>((_, reject) => (failFirst = reject)) : Promise.resolve()));
    const first = group.sync('/d');
    const second = group.sync('/d');
    failFirst(new Error('EIO'));
    await expect(first).rejects.toThrow('EIO');
    await expect(second).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });

  it('syncs a real folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fanout-dirsync-'));
    try {
      await writeFile(join(dir, '.t'), 'x');
      await rename(join(dir, '.t'), join(dir, 't'));
      const group = new DirSyncGroup();
      await Promise.all([group.sync(dir), group.sync(dir), group.sync(dir)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  /** This process's descriptors open on `dir` (Linux). */
  const descriptorsOn = (dir: string) =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === dir;
      } catch {
        return false;
      }
    }).length;

  it.runIf(process.platform === 'linux')('a burst of fsyncs keeps the folder open only until they are all settled; a missing folder fails, then works once made', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fanout-dirsync-'));
    const dir = join(root, 'raw');
    try {
      const group = new DirSyncGroup();
      await expect(group.sync(dir)).rejects.toThrow(/ENOENT/);
      await mkdir(dir);
      for (let round = 0; round < 3; round++) {
        const calls = Array.from({ length: 5 }, () => group.sync(dir));
        await Promise.all(calls);
        // The close is a hop of its own, on the thread pool: waited for (50 event-loop turns were not
        // always enough on a loaded machine, s19), bounded far above any real close.
        for (const end = Date.now() + 10_000; descriptorsOn(dir) > 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 2));
        expect(descriptorsOn(dir)).toBe(0);
      }
      // Removed and made again between bursts: the next burst opens the new folder.
      await rm(dir, { recursive: true });
      await mkdir(dir);
      await writeFile(join(dir, 'a'), 'x');
      await Promise.all([group.sync(dir), group.sync(dir)]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
