import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareOutputFolder } from '../../../electron/engine/output/prepare-folder';

/**
 * The race is between directory operations (a release's rmdir, the next start's mkdir and lock), not
 * the fsyncs around them (the lock file and each subfolder's probe): 300 rounds are some 1,800 fsyncs,
 * and on a disk busy with other writes (CI's loaded box) they took over the 120 s bound. On a tmpfs
 * (/dev/shm, where Linux has one) an fsync returns at once and the rounds take a second or two.
 */
const scratch = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

describe('tidying at release against the next job in the same folder', () => {
  it('the next job that took the lock keeps its subfolders', async () => {
    const base = await mkdtemp(join(scratch, 'he-tidy-'));
    let lost = 0;
    let failedToStart = 0;
    try {
      for (let i = 0; i < 300; i++) {
        const out = join(base, `o${i}`);
        const first = await prepareOutputFolder(out, 'gutenberg', ['raw', 'clean']);
        const second = (async () => {
          for (let k = 0; k < 2000; k++) {
            try {
              return await prepareOutputFolder(out, 'gutenberg', ['raw', 'clean']);
            } catch (err) {
              if ((err as { code?: string }).code !== 'OUTPUT_LOCKED') { failedToStart++; console.log('START FAILED', (err as { code?: string }).code, (err as Error).message); return null; }
              await new Promise((r) => setImmediate(r));
            }
          }
          return null;
        })();
        await first.release();
        const lock = await second;
        if (!lock) continue;
        // The second job holds the lock: its raw/ must be there for its first book.
        if (!(await stat(join(out, 'raw')).then(() => true, () => false))) lost++;
        else await writeFile(join(out, 'raw', 'book.txt'), 'x');
        await lock.release();
      }
    } finally {
      await rm(base, { recursive: true, force: true });
    }
    expect({ lost, failedToStart }).toEqual({ lost: 0, failedToStart: 0 });
  }, 120_000);
});
