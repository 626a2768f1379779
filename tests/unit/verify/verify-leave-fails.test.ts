/**
 * A verify whose hand-over of the folder's lock fails (its process can write no byte more:
 * RLIMIT_FSIZE 0, every write of a file fails as on a full disk) must keep its own result, must not
 * leave the lock naming its live process (the desktop host would refuse every job into the folder
 * until it quits), and leaves no temp file. Each verify runs in a child process (verify-child-entry.ts)
 * whose limit is lowered at a step the test waits for: no timing.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { acquireOutputLock } from '../../../electron/engine/output/output-lock';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';
import { prlimitSkip } from '../../integration/storage/prlimit';
import { corporaIn, verifyChild } from './verify-child';

const noLimit = prlimitSkip('hand-over failure tests');

const { corpus } = corporaIn('fanout-verify-leave-');

const holder = async (dir: string) => JSON.parse(await readFile(join(dir, '.fanout.lock'), 'utf8')) as { pid: number };
const temps = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.tmp'));

it.skipIf(noLimit !== null)('two verifies in one process, the first one\'s hand-over fails: its result stands, and the folder is free once both ended, the process still running', async () => {
  const dir = await corpus('two');
  const child = verifyChild('two', dir);
  expect(await child.saidOrEnded('first:')).toBe('first: first ok'); // was 'first: error:  EFBIG: file too large, write'
  child.tell('');
  expect(await child.saidOrEnded('second:')).toBe('second: second ok');
  try {
    // Both have ended; their process runs on (a host): a job takes the folder (was 'in use by a verify job, process <child>').
    await (await acquireOutputLock(dir, 'gutenberg')).release();
    expect(await temps(dir)).toEqual([]);
  } finally {
    child.tell('bye');
    await child.ended;
  }
});

it.skipIf(noLimit !== null)('the verify holding the lock exits (process.exit) when its process can write nothing more: no temp left, and a job is still refused while the other verify reads', async () => {
  const dir = await corpus('exit-fails');
  const child = verifyChild('hold', dir);
  expect(await child.saidOrEnded('reading', 'error:')).toBe('reading');
  await withFolderForVerify(dir, async () => {
    child.tell('limit-exit');
    expect(await child.ended).toBe(0);
    // Was a `.fanout.lock.<token>.tmp` left, the lock removed by the lock's exit handler: a job could start.
    expect(await temps(dir)).toEqual([]);
    await expect(acquireOutputLock(dir, 'gutenberg')).rejects.toMatchObject({ code: 'OUTPUT_LOCKED', message: expect.stringContaining(`verify job, process ${process.pid},`) });
  });
  // This verify has ended: the ended one's lock is taken over.
  await (await acquireOutputLock(dir, 'gutenberg')).release();
});

it('the verify holding the lock exits while another verify holds the group\'s guard: the lock is not handed over without it, and a job is still refused', async () => {
  const dir = await corpus('exit-guard-held');
  const child = verifyChild('hold', dir);
  expect(await child.saidOrEnded('reading', 'error:')).toBe('reading');
  await withFolderForVerify(dir, async () => {
    // A verify joining or leaving right now: a live process (this one) holds the guard.
    await writeFile(join(dir, '.fanout.verify.guard'), JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), kind: 'verify', token: 'feedfacefeedface' }));
    child.tell('exit');
    expect(await child.ended).toBe(0);
    // Was handed over to this verify regardless of the guard.
    expect((await holder(dir)).pid).toBe(child.child.pid);
    await expect(acquireOutputLock(dir, 'gutenberg')).rejects.toMatchObject({ code: 'OUTPUT_LOCKED', message: expect.stringContaining(`verify job, process ${process.pid},`) });
    await rm(join(dir, '.fanout.verify.guard'));
  });
  await (await acquireOutputLock(dir, 'gutenberg')).release();
});
