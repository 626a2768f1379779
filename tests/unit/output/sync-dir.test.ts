import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { syncDir } from '../../../electron/engine/output/atomic-file';

// The one folder fsync (Gutenberg raw/ and clean/, mail's index groups): what it syncs, which
// errors it tolerates, and that it never leaks a descriptor (mail calls it ~1,000 times a job).
describe('syncDir (the renames into a folder made durable)', () => {
  let dir: string;
  const synced: string[] = [];
  let failNext: NodeJS.ErrnoException | null = null;
  const openFds = () => readdirSync('/proc/self/fd').length;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fanout-syncdir-'));
    synced.length = 0;
    failNext = null;
    const probe = await open(join(dir, '.probe'), 'w');
    type Handle = { fd: number; sync(): Promise<void> };
    const proto = Object.getPrototypeOf(probe) as Handle;
    await probe.close();
    await rm(join(dir, '.probe'));
    const realSync = proto.sync;
    vi.spyOn(proto, 'sync').mockImplementation(async function (this: Handle) {
      synced.push(readlinkSync(`/proc/self/fd/${this.fd}`));
      const err = failNext;
      failNext = null;
      if (err) throw err;
      return realSync.call(this);
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fsyncs the directory itself and closes its descriptor', async () => {
    const before = openFds();
    await syncDir(dir);
    expect(synced).toEqual([dir]);
    expect(openFds()).toBe(before);
  });

  it('a failed fsync rejects with the raw error and still closes the descriptor; EINVAL (a file system without directory fsync) is not an error', async () => {
    const before = openFds();
    failNext = Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    await expect(syncDir(dir)).rejects.toMatchObject({ code: 'EIO' });
    expect(openFds()).toBe(before);
    failNext = Object.assign(new Error('EINVAL: invalid argument, fsync'), { code: 'EINVAL' });
    await expect(syncDir(dir)).resolves.toBeUndefined();
    expect(openFds()).toBe(before);
  });

  it('a missing directory rejects (ENOENT): a line must not be written as if its file were durable', async () => {
    await expect(syncDir(join(dir, 'gone'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(synced).toHaveLength(0);
  });
});
