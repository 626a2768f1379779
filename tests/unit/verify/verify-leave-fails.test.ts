/**
 * A verify whose hand-over fails (the new lock's temp cannot be
 * written: a full disk, EIO; here a directory in the temp's place) must keep its own result and
 * must not leave the folder's lock naming this process (the desktop host would refuse every job
 * into the folder until it quits).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { acquireOutputLock } from '../../../electron/engine/output/output-lock';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';

it('a failed hand-over keeps the verify result and leaves the folder free once both verifies ended', async () => {
  const dir = await mkdtemp(join(tmpdir(), "fanout-verify-leave-"));
  try {
    await mkdir(join(dir, 'raw'));
    await writeFile(join(dir, 'manifest.jsonl'), '');
    let endSecond!: () => void;
    const secondHeld = new Promise<void>((r) => (endSecond = r));
    let inside!: () => void;
    const secondInside = new Promise<void>((r) => (inside = r));
    let second!: Promise<string>;
    const first = withFolderForVerify(dir, async () => {
      second = withFolderForVerify(dir, async () => {
        inside();
        await secondHeld;
        return 'second ok';
      });
      await secondInside;
      // The hand-over writes `.fanout.lock.<next reader's token>.tmp`: make that impossible.
      for (const n of (await readdir(join(dir, '.fanout.verify'))).filter((x) => x.endsWith('.json'))) {
        await mkdir(join(dir, `.fanout.lock.${n.replace(/\.json$/, '')}.tmp`));
      }
      return 'first ok';
    });
    const firstResult = await first.catch((e: unknown) => `rejected: ${String(e)}`);
    endSecond();
    expect(await second).toBe('second ok');
    expect(firstResult).toBe('first ok'); // was 'rejected: Error: EISDIR: … open …/.fanout.lock.<token>.tmp'
    // Both verifies have ended: a job takes the folder (was 'in use by a verify job, process <this pid>').
    await (await acquireOutputLock(dir, 'gutenberg')).release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
