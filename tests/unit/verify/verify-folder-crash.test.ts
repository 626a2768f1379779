/**
 * The verify group's records after a crash (s18, the older item "member records left behind"):
 * verifies killed (SIGKILL: no 'exit' handler runs) leave their `.fanout.verify/<token>.json`
 * records, and the one holding the lock leaves the lock naming it. The next verify of the folder
 * takes the dead verify's lock over, and when it leaves, nothing of the group is left: no record,
 * no temp, no `.fanout.verify/`, no lock, no guard. Each killed verify runs in a child process
 * (verify-child-entry.ts); every step waits for the other's line or its end (no timing). A job
 * that takes such a lock over removes the dead records too (they stayed in its folder for ever,
 * and a record whose pid a later process reuses reads as a verify still reading).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { acquireOutputLock } from '../../../electron/engine/output/output-lock';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';
import { corporaIn, verifyChild } from './verify-child';

const { corpus } = corporaIn('fanout-verify-crash-');

/** Two verifies of `dir` (the lock's holder, then a member) killed with SIGKILL while reading; the holder's pid. */
async function killedGroup(dir: string): Promise<number> {
  const holder = verifyChild('hold', dir);
  expect(await holder.saidOrEnded('reading', 'error')).toBe('reading');
  const member = verifyChild('hold', dir);
  expect(await member.saidOrEnded('reading', 'error')).toBe('reading');
  holder.child.kill('SIGKILL');
  member.child.kill('SIGKILL');
  await Promise.all([holder.ended, member.ended]);
  expect(await readdir(join(dir, '.fanout.verify'))).toHaveLength(2);
  return holder.child.pid!;
}

it('two verifies killed, then a job: it takes the dead verify\'s lock over and removes the dead group\'s records (was: kept in its folder for ever)', async () => {
  const dir = await corpus('killed-then-job');
  const pid = await killedGroup(dir);
  expect(JSON.parse(await readFile(join(dir, '.fanout.lock'), 'utf8'))).toMatchObject({ pid, kind: 'verify' });
  const lock = await acquireOutputLock(dir, 'gutenberg');
  await lock.release();
  expect((await readdir(dir)).sort()).toEqual(['manifest.jsonl', 'raw']);
});

it('two verifies killed while reading (the lock\'s holder and a member): the next verify takes over and leaves nothing of the group behind', async () => {
  const dir = await corpus('killed');
  const holder = verifyChild('hold', dir);
  expect(await holder.saidOrEnded('reading', 'error')).toBe('reading');
  const member = verifyChild('hold', dir);
  expect(await member.saidOrEnded('reading', 'error')).toBe('reading');
  holder.child.kill('SIGKILL');
  member.child.kill('SIGKILL');
  await Promise.all([holder.ended, member.ended]);
  // What a crash leaves: both records, and the lock naming the dead holder.
  const records = (await readdir(join(dir, '.fanout.verify'))).sort();
  expect(records).toHaveLength(2);
  expect(JSON.parse(await readFile(join(dir, '.fanout.lock'), 'utf8'))).toMatchObject({ pid: holder.child.pid, kind: 'verify' });

  expect(await withFolderForVerify(dir, async () => (await readdir(join(dir, '.fanout.verify'))).length)).toBeGreaterThanOrEqual(1);
  expect((await readdir(dir)).sort()).toEqual(['manifest.jsonl', 'raw']);
});

it('a member killed while the holder reads on: the holder\'s leave removes the dead record with the group', async () => {
  const dir = await corpus('member-killed');
  const left = await withFolderForVerify(dir, async () => {
    const member = verifyChild('hold', dir);
    expect(await member.saidOrEnded('reading', 'error')).toBe('reading');
    member.child.kill('SIGKILL');
    await member.ended;
    return (await readdir(join(dir, '.fanout.verify'))).length;
  });
  expect(left).toBe(2); // this verify's record and the dead member's
  expect((await readdir(dir)).sort()).toEqual(['manifest.jsonl', 'raw']);
});
