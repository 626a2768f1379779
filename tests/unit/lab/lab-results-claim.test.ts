/**
 * One lab's results per folder at a time (lab/lab-results-claim.ts): a second lab into the same
 * --out-dir is refused at once, naming the lab holding the folder's results, instead of writing
 * its lab.csv/lab.svg/lab.json over the first one's; the folder's own lock (a job's) is not taken.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { claimLabResults, withLabResults } from '../../../electron/engine/lab/lab-results-claim';
import { acquireOutputLock } from '../../../electron/engine/output/output-lock';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-lab-claim-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('a second lab is refused naming the first; released, the folder is free and nothing is left', async () => {
  const first = await claimLabResults(dir, 'gutenberg');
  await expect(claimLabResults(dir, 'scrub')).rejects.toMatchObject({
    code: 'OUTPUT_LOCKED',
    message: expect.stringMatching(new RegExp(`^${dir} holds the results of a gutenberg lab, process ${process.pid}, since .*: another lab writes its lab.csv, lab.svg and lab.json there when it ends\\. Give this lab another --out-dir`)),
  });
  await first.release();
  expect(await readdir(dir)).toEqual([]);
  await (await claimLabResults(dir, 'scrub')).release();
  expect(await readdir(dir)).toEqual([]);
});

it('a job holding the folder does not keep a lab\'s claim out (a scrub lab beside a job stays allowed)', async () => {
  const job = await acquireOutputLock(dir, 'gutenberg');
  try {
    await (await claimLabResults(dir, 'scrub')).release();
  } finally {
    await job.release();
  }
});

it('withLabResults: refused, it says why and runs nothing (exit 1); else it runs holding the claim', async () => {
  const first = await claimLabResults(dir, 'scrub');
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const run = vi.fn(async () => 0);
  try {
    expect(await withLabResults(dir, 'gutenberg', run)).toBe(1);
    expect(String(err.mock.calls[0]?.[0])).toMatch(/^error: .* holds the results of a scrub lab, process \d+, .*\[OUTPUT_LOCKED\]\n$/);
  } finally {
    err.mockRestore();
    await first.release();
  }
  expect(run).not.toHaveBeenCalled();
  expect(await withLabResults(dir, 'gutenberg', async () => {
    await expect(claimLabResults(dir, 'scrub')).rejects.toMatchObject({ code: 'OUTPUT_LOCKED' });
    return 0;
  })).toBe(0);
  expect(await readdir(dir)).toEqual([]);
});
