/**
 * Two verifies of one folder at once (two processes): each only reads, so both run, and a job
 * writing the folder is still kept out until the last of them has ended, whichever ends first.
 * Before, the second verify was refused as if a job held the folder ("in use by a verify job":
 * verify held the output lock exclusively). The first verify here is this test process; the other
 * a child process (tests/unit/verify/verify-child-entry.ts, its `hold` mode). No timing: each step waits for the other's line.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireOutputLock } from '../../../electron/engine/output/output-lock';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';
import { corporaIn, verifyChild, type VerifyChild } from '../../unit/verify/verify-child';

const { corpus } = corporaIn('fanout-verify-readers-');

const holderPid = async (dir: string) => (JSON.parse(await readFile(join(dir, '.fanout.lock'), 'utf8')) as { pid: number; kind: string });

/** A job trying the folder is refused, naming a verify job of process `pid`. */
async function jobRefused(dir: string, pid: number): Promise<void> {
  await expect(acquireOutputLock(dir, 'gutenberg')).rejects.toMatchObject({ code: 'OUTPUT_LOCKED', message: expect.stringContaining(`in use by a verify job, process ${pid},`) });
}

/** Nothing of the verifies left: no lock, no group; a job takes the folder. */
async function folderFree(dir: string): Promise<void> {
  expect((await readdir(dir)).filter((n) => n.startsWith('.fanout'))).toEqual([]);
  await (await acquireOutputLock(dir, 'gutenberg')).release();
}

describe('two verifies of one folder at once', () => {
  it('the second joins the first; the first ends: the lock goes to the second, a job is still refused; then the folder is free', async () => {
    const dir = await corpus('first-ends');
    let other!: VerifyChild;
    await withFolderForVerify(dir, async () => {
      other = verifyChild('hold', dir);
      // Started while this verify holds the folder: it joins, it is not refused.
      expect(await Promise.race([other.said('reading'), other.said('error')])).toBe('reading');
      await jobRefused(dir, process.pid);
    });
    // This verify ended, the child still reads: the lock is the child's now.
    expect(await holderPid(dir)).toMatchObject({ pid: other.child.pid, kind: 'verify' });
    await jobRefused(dir, other.child.pid!);
    other.tell('');
    await other.said('done');
    expect(await other.ended).toBe(0);
    await folderFree(dir);
  });

  it('the second ends first: the first still holds the folder; then it is free', async () => {
    const dir = await corpus('second-ends');
    await withFolderForVerify(dir, async () => {
      const other = verifyChild('hold', dir);
      expect(await Promise.race([other.said('reading'), other.said('error')])).toBe('reading');
      other.tell('');
      await other.said('done');
      expect(await other.ended).toBe(0);
      await jobRefused(dir, process.pid);
    });
    await folderFree(dir);
  });

  it('the verify holding the lock exits in the middle (process.exit): the lock goes to the one still reading', async () => {
    const dir = await corpus('holder-exits');
    const other = verifyChild('hold', dir);
    expect(await Promise.race([other.said('reading'), other.said('error')])).toBe('reading');
    expect(await holderPid(dir)).toMatchObject({ pid: other.child.pid });
    await withFolderForVerify(dir, async () => {
      other.tell('exit');
      expect(await other.ended).toBe(0);
      expect(await holderPid(dir)).toMatchObject({ pid: process.pid, kind: 'verify' });
      await jobRefused(dir, process.pid);
    });
    await folderFree(dir);
  });

  it('two verifies in one process (the host\'s History screen, two Verify clicks): both run; a job waits for the last', async () => {
    const dir = await corpus('one-process');
    let endFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (endFirst = r));
    let inside!: () => void;
    const firstInside = new Promise<void>((r) => (inside = r));
    const first = withFolderForVerify(dir, async () => {
      inside();
      await firstHeld;
    });
    await firstInside;
    await withFolderForVerify(dir, async () => {
      endFirst();
      await first;
      // The first has ended; this one still reads: the lock is this verify's now.
      await jobRefused(dir, process.pid);
    });
    await folderFree(dir);
  });

  it('the verify holding the lock is killed (SIGKILL) while another reads: a job is still refused until that one ends', async () => {
    const dir = await corpus('holder-killed');
    const other = verifyChild('hold', dir);
    expect(await Promise.race([other.said('reading'), other.said('error')])).toBe('reading');
    await withFolderForVerify(dir, async () => {
      other.child.kill('SIGKILL');
      await other.ended;
      // The lock names a dead process; this verify still reads.
      expect(await holderPid(dir)).toMatchObject({ pid: other.child.pid });
      await jobRefused(dir, process.pid);
    });
    // Ended: the dead holder's lock is taken over by the next job.
    await (await acquireOutputLock(dir, 'gutenberg')).release();
  });

  it('a job holding the folder still refuses a verify, which leaves nothing behind', async () => {
    const dir = await corpus('job-holds');
    const job = await acquireOutputLock(dir, 'gutenberg');
    try {
      await expect(withFolderForVerify(dir, async () => {})).rejects.toMatchObject({ code: 'OUTPUT_LOCKED', message: expect.stringContaining(`in use by a gutenberg job, process ${process.pid}`) });
      expect((await readdir(dir)).filter((n) => n.startsWith('.fanout'))).toEqual(['.fanout.lock']);
    } finally {
      await job.release();
    }
    await folderFree(dir);
  });
});
