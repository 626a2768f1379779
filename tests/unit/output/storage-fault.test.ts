import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError, toFanoutError } from '../../../electron/engine/core/fanout-error';
import { stoppedJobError } from '../../../electron/engine/core/job-fatal';
import { storageFault } from '../../../electron/engine/output/storage-fault';

/** A Node errno error as fs throws it (code, syscall, path). */
function errno(code: string, path?: string, dest?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, open '${path}'`), { code, syscall: 'open', ...(path ? { path } : {}), ...(dest ? { dest } : {}) });
}

describe('storageFault', () => {
  it('a permission fault on a file inside the folder names that file, and puts it in the context', () => {
    const err = storageFault(errno('EACCES', '/srv/out/manifest.jsonl'), '/srv/out')!;
    expect(err.code).toBe('OUTPUT_NOT_WRITABLE');
    expect(err.message).toBe('Cannot write to /srv/out: permission denied (EACCES) on /srv/out/manifest.jsonl. Fix the permissions of /srv/out/manifest.jsonl (this user must be able to read and write it), or choose another folder');
    expect(err.context).toEqual({ folder: '/srv/out', path: '/srv/out/manifest.jsonl' });
  });

  it("one of our temp files (or the probe) refused names its folder: creating a file there was refused", () => {
    expect(storageFault(errno('EACCES', '/srv/out/raw/.5-0.txt.0123456789abcdef.tmp'), '/srv/out')!.message).toContain('(EACCES) on /srv/out/raw.');
    expect(storageFault(errno('EPERM', '/srv/out/clean/..fanout-probe.0123456789abcdef.tmp'), '/srv/out')!.message).toContain('(EPERM) on /srv/out/clean.');
  });

  it('looks through causes, and keeps a path or file the caller gave', () => {
    const wrapped = new FanoutError('WRITE_FAILED', 'Could not write', { uid: 3 }, { cause: errno('EACCES', '/m/acct/Archive/index.jsonl') });
    const err = storageFault(wrapped, '/m/acct', { file: '/m/acct/Archive/3.eml' })!;
    expect(err.message).toContain('(EACCES) on /m/acct/Archive/index.jsonl.');
    expect(err.context).toEqual({ uid: 3, file: '/m/acct/Archive/3.eml', folder: '/m/acct' });
  });

  it('the folder itself refused (or no path known): the folder alone, as before', () => {
    const plain = 'Cannot write to /srv/out: permission denied (EACCES). Choose another output folder or fix its permissions';
    expect(storageFault(errno('EACCES', '/srv/out/'), '/srv/out')!.message).toBe(plain);
    expect(storageFault(errno('EACCES'), '/srv/out')!.message).toBe(plain);
  });

  it('read-only and full file systems name the folder (the whole file system is the cause)', () => {
    expect(storageFault(errno('EROFS', '/srv/out/raw/x'), '/srv/out')!.message).toBe('Cannot write to /srv/out: it is on a read-only file system (EROFS). Choose another output folder or fix its permissions');
    expect(storageFault(errno('ENOSPC', '/srv/out/raw/x'), '/srv/out')!.code).toBe('DISK_FULL');
    expect(storageFault(errno('ECONNRESET'), '/srv/out')).toBeNull();
  });
});

describe('storageFault: a folder gone under a job', () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'fanout-fault-'));
    await mkdir(join(base, 'out', 'raw'), { recursive: true });
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('the output folder gone: OUTPUT_NOT_WRITABLE naming it', () => {
    const err = storageFault(errno('ENOENT', join(base, 'gone', 'raw', '5-0.txt.part')), join(base, 'gone'))!;
    expect(err.code).toBe('OUTPUT_NOT_WRITABLE');
    expect(err.message).toBe(`${join(base, 'gone')} is gone (removed or moved while the job ran) (ENOENT): the job stopped; run it again to finish (what is on disk is kept)`);
  });

  it('a folder inside it gone: names the one nearest the output folder', () => {
    expect(storageFault(errno('ENOENT', join(base, 'out', 'clean', 'x', '.5.txt.0123456789abcdef.tmp')), join(base, 'out'))!.message).toMatch(new RegExp(`^${join(base, 'out', 'clean')} is gone`));
  });

  it("one file gone from a folder that is there, or a path outside the folder: not the job's fault", () => {
    expect(storageFault(errno('ENOENT', join(base, 'out', 'raw', '5-0.txt.part')), join(base, 'out'))).toBeNull();
    expect(storageFault(errno('ENOENT', join(base, 'elsewhere', 'x')), join(base, 'out'))).toBeNull();
    expect(storageFault(errno('ENOENT'), join(base, 'out'))).toBeNull();
  });
});

describe('a limit of this process or computer (open files, memory)', () => {
  const emfile = (syscall: string) => Object.assign(new Error(`${syscall} EMFILE: too many open files`), { code: 'EMFILE', errno: -24, syscall });

  it('EMFILE, from a file or a socket, wrapped or not: OUT_OF_RESOURCES that stops the job, naming ulimit -n and what to do', () => {
    for (const raw of [emfile('open'), emfile('connect'), new FanoutError('WRITE_FAILED', 'Write failed: EMFILE', { path: '/out/raw/1-0.txt' }, { cause: emfile('open') })]) {
      const fault = storageFault(raw, '/out');
      expect(fault).toMatchObject({ code: 'OUT_OF_RESOURCES', message: expect.stringMatching(/\(EMFILE\): this process has as many files and connections open as it may .*ulimit -n.*use fewer workers or connections, or raise the limit.*The job stopped/) });
      expect(storageFault(fault, '/out')).toBe(fault); // met again (the job's stop): as it is
      expect(storageFault(fault!.withContext({ ebook: 7 }), '/out')?.message).toBe(fault!.message); // and with an item's context added (was: its stop said twice)
    }
    // An item's OUT_OF_RESOURCES (toFanoutError's) that then stops the job: its words once, not twice.
    const stop = storageFault(toFanoutError(emfile('connect')), '/out');
    expect(stop?.message.match(/ulimit -n/g)).toHaveLength(2); // '(N, ulimit -n)' and the fix, once each
  });

  it('a stop told by what it is, not by its words: the stop said again in other words (job-fatal) is returned as it is', () => {
    const fault = storageFault(emfile('open'), '/out')!;
    const reworded = stoppedJobError(fault, 'http://mirror/gutenberg/');
    expect(storageFault(reworded, '/out')).toBe(reworded); // was: stopped again, its stop said twice
    expect(fault.detail.jobStop).toBe(true);
    // An item's own OUT_OF_RESOURCES (retryable, no stop yet) still becomes the job's stop.
    expect(toFanoutError(emfile('connect')).detail.jobStop).toBeUndefined();
  });

  it('an item failure of such a limit is retryable, not INTERNAL / WRITE_FAILED for good; EAGAIN does not stop the job', () => {
    expect(toFanoutError(emfile('connect'))).toMatchObject({ code: 'OUT_OF_RESOURCES', retryable: true });
    expect(toFanoutError(new FanoutError('WRITE_FAILED', 'Write failed', {}, { cause: emfile('open') }), { ebook: 5 })).toMatchObject({ code: 'OUT_OF_RESOURCES', retryable: true, context: { ebook: 5 } });
    const eagain = Object.assign(new Error('EAGAIN: resource temporarily unavailable, read'), { code: 'EAGAIN', syscall: 'read' });
    expect(toFanoutError(eagain)).toMatchObject({ code: 'OUT_OF_RESOURCES', retryable: true });
    expect(storageFault(eagain, '/out')).toBeNull();
    // Other non-retryable errors are left as they are.
    expect(toFanoutError(new FanoutError('WRITE_FAILED', 'x', {}, { cause: Object.assign(new Error('EIO'), { code: 'EIO' }) })).code).toBe('WRITE_FAILED');
  });
});
