import { unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * Directories read (readdir): the account's walk (recover-folder-dirs.ts) is seen as its read of
 * `Archive`, the directory of a folder never created on the server (the parent of Archive/2019): no
 * folder's store reads it, and the account folder itself is read by the lock's clean-up too.
 */
const reads = vi.hoisted(() => [] as string[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = ((dir: string, opts?: unknown) => {
    reads.push(String(dir));
    return (fs.readdir as (d: string, o?: unknown) => Promise<unknown>)(dir, opts);
  }) as typeof fs.readdir;
  return { ...fs, readdir, default: { ...fs, readdir } };
});

const { startDovecot } = await import('../../harness/dovecot');
const { openMailTestBed } = await import('./mail-test-bed');
const { runMailJob, accountDir } = await import('../../../electron/engine/mail/run-mail-job');
const { createJobControl } = await import('../../../electron/engine/core/job-control');

type Bed = Awaited<ReturnType<typeof openMailTestBed<Awaited<ReturnType<typeof startDovecot>>>>>;

/** folders.json lost or unreadable: the mapping comes back from the directories' state.json in one walk of the account per run. */
describe('mail: folders.json lost, the account walked once', () => {
  let bed: Bed;
  let root: string;
  const run = () =>
    runMailJob({ kind: 'mail', account: bed.account(), outDir: bed.out, connections: 2, strategy: 'adaptive', folders: 'all' }, createJobControl());

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot(), {
      tmpPrefix: 'fanout-walk-once-',
      folders: [
        { path: 'INBOX', count: 3 },
        { path: 'Archive/2019', count: 2 },
      ],
      seed: 5,
      logoutAdmin: true,
    });
    root = accountDir({ outDir: bed.out, account: bed.account() });
    const first = await run();
    expect(first.failures).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
  });

  beforeEach(() => {
    reads.length = 0;
  });

  it('folders.json gone: one walk, nothing fetched, folders.json written again', async () => {
    const before = readFileSync(join(root, 'folders.json'), 'utf8');
    unlinkSync(join(root, 'folders.json'));
    const s = await run();
    expect(s.failures).toEqual([]);
    expect(s.itemsDone).toBe(0);
    expect(reads.filter((d) => d === join(root, 'Archive'))).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(root, 'folders.json'), 'utf8'))).toEqual(JSON.parse(before));
  }, 30_000);

  it('folders.json unreadable (the quick listing runs, its disk scans need the mapping too): one walk, nothing fetched', async () => {
    const before = readFileSync(join(root, 'folders.json'), 'utf8');
    writeFileSync(join(root, 'folders.json'), '{"version": 1, "dirs": {');
    const s = await run();
    expect(s.failures).toEqual([]);
    expect(s.itemsDone).toBe(0);
    expect(reads.filter((d) => d === join(root, 'Archive'))).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(root, 'folders.json'), 'utf8'))).toEqual(JSON.parse(before));
  }, 30_000);
});
