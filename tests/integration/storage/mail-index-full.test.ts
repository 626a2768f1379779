/**
 * Mail's index on a disk that fills up in the middle of a group of lines: the file must still end
 * on a whole line (a torn one would be glued to the next run's first line, and is what the
 * DISK_FULL mail test once read back as broken JSON).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IndexLog, type IndexRecord } from '../../../electron/engine/mail/index-file';
import { mountTmpfs, skipWithoutTmpfs, type Tmpfs } from '../../harness/tmpfs';

const skip = await skipWithoutTmpfs();

function record(uid: number, subjectBytes: number): IndexRecord {
  return { uid, uidValidity: '7', messageId: `<${uid}@t>`, internalDate: new Date(0).toISOString(), flags: [], size: 1, sha256: 'a'.repeat(64), subject: 's'.repeat(subjectBytes), from: null, file: `${uid}.eml` };
}

describe.skipIf(skip)('mail index on a full disk', () => {
  let fs: Tmpfs | null = null;
  afterAll(async () => {
    await fs?.unmount();
  });

  it('a group that does not fit is cut back whole: the index ends on its last whole line', async () => {
    fs = await mountTmpfs(256 * 1024);
    const file = join(fs.dir, 'index.jsonl');
    const log = new IndexLog(file, 'INBOX', async () => {});
    await log.append(record(1, 100), null);
    // Fill the disk up to a few KB, so the next group is partly written before ENOSPC.
    const free = 256 * 1024 - (await readFile(file)).length;
    await writeFile(join(fs.dir, 'filler'), Buffer.alloc(free - 6 * 1024)).catch(() => {});
    const big = [2, 3, 4, 5].map((uid) => log.append(record(uid, 40 * 1024), null));
    const results = await Promise.allSettled(big);
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
    await log.close();

    const text = await readFile(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const uids = text.trim().split('\n').map((l) => (JSON.parse(l) as IndexRecord).uid);
    expect(uids[0]).toBe(1);
    // Every line that is there was reported written; none that failed is there.
    const written = [1, ...[2, 3, 4, 5].filter((_, i) => results[i]!.status === 'fulfilled')];
    expect(uids).toEqual(written);
  });
});
