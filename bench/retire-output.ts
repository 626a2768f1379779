import { mkdir, readdir, rename, truncate } from 'node:fs/promises';
import { basename, join } from 'node:path';

/**
 * Clears a finished job's output folder without deleting a file: each file is truncated to 0 bytes
 * (its disk space comes back) and the folder is moved under `graveyard`, removed with everything
 * else when the bench ends, after the last timed job.
 *
 * Why not `rm`: on an ext4 without a journal (this machine's root file system), creating a file
 * skips every free inode of its block group deleted in the last 60 s (`find_inode_bit` →
 * `recently_deleted`, one inode-table lookup each, from the group's first inode on every create).
 * Removing a 200-book output (400 files), or curl's 200, right before the next timed job made each
 * of that job's creates walk past them: 15 % of the profiled CPU (server and proxies included) sat
 * in `__ext4_new_inode` (perf, HTTP adaptive N = 16), and 400 creates took 50 ms after deleting 400
 * files, 210 ms after deleting 1,000. That measured the bench's own deletions, not the tools (a
 * journalled ext4 does not check). Truncating frees the blocks, not the inodes.
 */
let retired = 0;
export async function retireOutput(dir: string, graveyard: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return; // never created (a failed row)
  }
  for (const e of entries) if (e.isFile()) await truncate(join(e.parentPath, e.name), 0);
  await mkdir(graveyard, { recursive: true });
  await rename(dir, join(graveyard, `${basename(dir)}-${process.pid}-${++retired}`));
}
