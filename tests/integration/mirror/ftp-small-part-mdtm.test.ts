import { createHash } from 'node:crypto';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FTP_SERVER_KINDS } from '../../harness';
import { cutFtpBookOnce, fetchFtpBookAgain, listFiles, removeAll, tempDir } from './helpers';

/**
 * A part under 2 MiB that is not the guessed `N-0.txt` (here `N-8.txt`: the batch's guess of
 * `N-0.txt` misses, the listing names `-8`). Its transfer asks `MDTM` in the same write as its
 * `EPSV` + `RETR` (no round trip of its own), so the `.part.meta` written when the attempt is cut
 * records the time to the second: the unchanged file is resumed, a same-size rewrite (other
 * seconds, same minute) comes whole. Before, such a part recorded only the listing's date
 * (minute resolution) and was fetched whole again after every cut.
 */

let work: string;
beforeAll(async () => {
  work = await tempDir('ftp-small-part-mdtm');
});
afterAll(async () => {
  await removeAll(work);
});

const REL = '3/0/0/3000/3000-8.txt';
const SIZE = 200_000;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const body = (size: number, seed: string) => Buffer.from(`${seed} `.repeat(Math.ceil(size / (seed.length + 1))).slice(0, size));

describe.each(FTP_SERVER_KINDS)('FTP: a small part (not the guessed N-0.txt) records MDTM (%s)', (kind) => {
  /** A minute boundary an hour back: both versions are dated within that minute. */
  const minute = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;

  /** Book 3000 (`3000-8.txt` only, 200,000 bytes) cut at 60 kB through a proxy: the part and its meta. */
  const cutOnce = (name: string) =>
    // Every transfer of this fetch is cut, not only the first: pure-ftpd answers the batch's NOOP
    // probe out of order, and when that 500 comes before the cut transfer's reply (a loaded CI box)
    // the session redoes the book lock-step within the same fetchBook (then the one-book path):
    // with one cut that redo downloaded the whole file and the fetch succeeded.
    cutFtpBookOnce({ work, name, kind, rel: REL, data: body(SIZE, 'first-version'), mtime: new Date(minute + 5_000), dropTimes: 4 });

  it('the cut part records MDTM and the unchanged file is resumed, byte-exact', async () => {
    const { raw, ftp } = await cutOnce(`same-${kind}`);
    try {
      expect(JSON.parse(await readFile(path.join(raw, '3000-8.txt.part.meta'), 'utf8'))).toEqual({ size: SIZE, modified: `mdtm:${new Date(minute + 5_000).toISOString().replace(/[-:T]/g, '').slice(0, 14)}` });
      const r = await fetchFtpBookAgain(ftp, raw);
      expect(r.resumedFrom).toBeGreaterThan(0);
      expect(r.resumedFrom + r.transferredBytes).toBe(SIZE);
      expect(r.sha256).toBe(sha(body(SIZE, 'first-version')));
      expect(await listFiles(raw)).toEqual(['3000-8.txt']);
    } finally {
      await ftp.stop();
    }
  });

  it('a same-size rewrite in the same minute (other seconds) comes whole, not spliced', async () => {
    const { root, raw, ftp } = await cutOnce(`rewritten-${kind}`);
    try {
      const changed = body(SIZE, 'second-version');
      await writeFile(path.join(root, REL), changed);
      await utimes(path.join(root, REL), new Date(minute + 40_000), new Date(minute + 40_000));
      const r = await fetchFtpBookAgain(ftp, raw);
      expect(r).toMatchObject({ resumedFrom: 0, bytes: SIZE });
      expect(r.sha256).toBe(sha(changed));
      expect(sha(await readFile(path.join(raw, '3000-8.txt')))).toBe(sha(changed));
    } finally {
      await ftp.stop();
    }
  });
});
