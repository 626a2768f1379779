/**
 * One lab's results per folder at a time. Every lab of the terminal writes `lab.csv`, `lab.svg` and
 * `lab.json` into its `--out-dir`, each atomically but not the three together, and at its end: two
 * labs into one folder at once (a scrub lab, which takes no output lock so it can run beside a
 * job, and any other lab; or two scrub labs) could leave one's CSV beside the other's JSON, and
 * one's results read as the other's. A lab claims the folder's results for its whole run, from its
 * start (after its input checks) to the last file written: a second lab there is refused at once,
 * OUTPUT_LOCKED naming the lab that holds them, before it measures anything.
 *
 * The claim is an output lock (output/output-lock.ts: a holder named, a dead one taken over) in a
 * folder of its own, `<out-dir>/.fanout-lab.claim/`, not the folder's lock itself: a job writing the
 * folder holds that one, and a scrub lab beside it stays allowed. The claim's folder is removed when
 * released (verify looks for no file at a folder's top, nor in dot directories).
 */
import { mkdir, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FanoutError } from '../core/fanout-error';
import { LOCK_FILE, acquireOutputLock, lockHolder, type OutputLock } from '../output/output-lock';

export const LAB_CLAIM_DIR = '.fanout-lab.claim';

/**
 * Claims the lab results of `outDir` for a lab of kind `lab` ('gutenberg', 'scrub', …). Throws
 * OUTPUT_LOCKED naming the lab that holds them; release the claim after the last file is written.
 */
export async function claimLabResults(outDir: string, lab: string): Promise<OutputLock> {
  const dir = resolve(outDir);
  const claimDir = join(dir, LAB_CLAIM_DIR);
  for (let attempt = 0; ; attempt++) {
    await mkdir(claimDir, { recursive: true });
    try {
      const lock = await acquireOutputLock(claimDir, `${lab} lab`);
      return {
        folder: lock.folder,
        owner: lock.owner,
        async release() {
          await lock.release();
          // Empty once released; another lab claiming it right now keeps it (ENOTEMPTY) or makes it again.
          await rmdir(claimDir).catch(() => {});
        },
      };
    } catch (err) {
      // The folder removed by a lab releasing it between our mkdir and our lock: make it again.
      if (err instanceof FanoutError && err.code !== 'OUTPUT_LOCKED' && attempt < 3 && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') continue;
      if (!(err instanceof FanoutError && err.code === 'OUTPUT_LOCKED')) throw err;
      const who = (await lockHolder(claimDir))?.replace(/ job,/, ',') ?? 'another lab that is just starting';
      throw new FanoutError(
        'OUTPUT_LOCKED',
        `${dir} holds the results of ${who}: another lab writes its lab.csv, lab.svg and lab.json there when it ends. Give this lab another --out-dir, or wait for that one to end (if no lab runs there, remove ${join(claimDir, LOCK_FILE)})`,
        { folder: dir, file: join(claimDir, LOCK_FILE) },
        { cause: err },
      );
    }
  }
}

/**
 * Runs a lab of the terminal holding its results' claim (`run` returns the exit code). Refused: says
 * why on stderr (`error: … [OUTPUT_LOCKED]`, nothing measured, no file written) and returns 1.
 */
export async function withLabResults(outDir: string, lab: string, run: () => Promise<number>): Promise<number> {
  let claim: OutputLock;
  try {
    claim = await claimLabResults(outDir, lab);
  } catch (err) {
    if (!(err instanceof FanoutError && err.code === 'OUTPUT_LOCKED')) throw err;
    process.stderr.write(`error: ${err.message} [${err.code}]\n`);
    return 1;
  }
  try {
    return await run();
  } finally {
    await claim.release();
  }
}
