import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import type { FetchedBook } from '../../../electron/engine/mirror';
import { FTP_SERVER_KINDS } from '../../harness';
import { listFiles, makeCtx, removeAll, seeded as body, sha256 as sha, tempDir, withFtpFiles } from './helpers';

/**
 * A data connection cut mid-transfer (by the client, or a middlebox) while the server still writes:
 * pure-ftpd then sends NO final reply to the RETR (no 226, no 426/451): only a stray
 * `150 <seconds> (measured here), <rate>` line, or nothing at all when no byte went out
 * (src/ftpd.c doretr: `if (ret == 0) addreply(226…)`; dl_dowrite failing adds no error reply).
 * vsftpd answers `426 Failure writing network stream.`, ProFTPD `426 Transfer aborted. Data
 * connection closed.` Whatever the server says, a transfer whose data ended short is known to have
 * failed: nothing may wait for a reply that may never come.
 *
 * Every test gives the mirror a 300 s timeout and stall timeout, far beyond the test's own 60 s (a
 * few seconds are needed): code that waits for the final reply fails by the test's timeout, not by
 * a timing assertion.
 * The cut is certain to come while the server still writes: the files are of 10 MB, and the relay
 * cuts at 60 kB; the server can be ahead of the relay by its send buffer (at most 4 MiB, Linux's
 * tcp_wmem default) and the window the relay advertised (which grows only as the relay reads).
 */

let work: string;
beforeAll(async () => {
  work = await tempDir('ftp-cut-no-reply');
});
afterAll(async () => {
  await removeAll(work);
});

const BIG = 10_000_000;
const SMALL = 30_000;
const LONG = { timeoutMs: 300_000, stallTimeoutMs: 300_000 };
/** The relay cuts the first data connection at 60 kB. */
const CUT = { ftp: true, dropAfterBytes: 60_000, dropTimes: 1 };
const hourAgo = () => new Date(Date.now() - 3_600_000);

/** `r` is a retryable failure that did not wait for a timeout. */
function expectFailedAtOnce(r: unknown): FanoutError {
  expect(r, String(r)).toBeInstanceOf(FanoutError);
  const e = r as FanoutError;
  expect(e.retryable, `${e.code}: ${e.message}`).toBe(true);
  expect(e.code, e.message).not.toBe('TIMEOUT');
  return e;
}

describe.each(FTP_SERVER_KINDS)('FTP: a data connection cut while the server still writes (%s)', (kind) => {
  it('the one-book path (2 MiB or more, not the guessed N-0.txt): fails at once, retryable, its part and meta kept; the next fetch completes it byte-exact', { timeout: 60_000 }, async () => {
    const data = body(BIG, `one-book-${kind}`);
    const raw = path.join(work, `raw-one-${kind}`);
    await withFtpFiles({ work, name: `one-${kind}`, kind, files: { '3/0/0/3000/3000-8.txt': data }, proxy: CUT, options: LONG }, async ({ proxy, session: s }) => {
      expectFailedAtOnce(await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e));
      expect(proxy!.stats.dropped).toBe(1);
      // (The part may be empty: vsftpd's and ProFTPD's 426 can be read before the data that came with the cut.)
      expect(await listFiles(raw)).toEqual(['3000-8.txt.part', '3000-8.txt.part.meta']);
      expect(JSON.parse(await readFile(path.join(raw, '3000-8.txt.part.meta'), 'utf8'))).toEqual({ size: BIG, modified: expect.stringMatching(/^mdtm:\d{14}$/) });
      const r = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() });
      expect(r.resumedFrom + r.transferredBytes).toBe(BIG);
      expect(r.sha256).toBe(sha(data));
    });
  });

  it('a resume (MDTM, then EPSV + REST + RETR on the one-book path) cut again: fails at once, retryable, the part kept; the next fetch completes it byte-exact', { timeout: 60_000 }, async () => {
    const data = body(BIG, `resumed-${kind}`);
    const mtime = hourAgo();
    // A part of the first 1 MB, its meta naming the file's size and time (what a cut attempt leaves).
    const raw = path.join(work, `raw-rest-${kind}`);
    await mkdir(raw, { recursive: true });
    await writeFile(path.join(raw, '3000-8.txt.part'), data.subarray(0, 1_000_000));
    const seconds = new Date(Math.floor(mtime.getTime() / 1000) * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    await writeFile(path.join(raw, '3000-8.txt.part.meta'), JSON.stringify({ size: BIG, modified: `mdtm:${seconds}` }));
    await withFtpFiles({ work, name: `rest-${kind}`, kind, files: { '3/0/0/3000/3000-8.txt': data }, proxy: CUT, options: LONG }, async ({ root, proxy, session: s }) => {
      await utimes(path.join(root, '3/0/0/3000/3000-8.txt'), mtime, mtime);
      expectFailedAtOnce(await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e));
      expect(proxy!.stats.dropped).toBe(1);
      const kept = (await stat(path.join(raw, '3000-8.txt.part'))).size;
      expect(kept).toBeGreaterThanOrEqual(1_000_000);
      const r = await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() });
      expect(r.resumedFrom).toBe(kept);
      expect(r.sha256).toBe(sha(data));
      expect(sha(await readFile(path.join(raw, '3000-8.txt')))).toBe(sha(data));
    });
  });

  it('the catalog download (fetchFile): fails at once as SIZE_MISMATCH; the session then fetches it whole', { timeout: 60_000 }, async () => {
    const data = body(BIG, `catalog-${kind}`);
    const dest = path.join(work, `catalog-${kind}`);
    await withFtpFiles({ work, name: `file-${kind}`, kind, files: { 'GUTINDEX.ALL': data }, proxy: CUT, options: LONG }, async ({ proxy, session: s }) => {
      const e = expectFailedAtOnce(await s.fetchFile('GUTINDEX.ALL', { dest }).catch((err: unknown) => err));
      expect(proxy!.stats.dropped).toBe(1);
      // The size verdict the catalog job reads (catalog-download.ts: "was cut short"), unless the server's 426 came first.
      if (e.code === 'SIZE_MISMATCH') expect(e.detail.size).toMatchObject({ verdict: 'short', expected: 10_000_000 });
      const got = await s.fetchFile('GUTINDEX.ALL', { dest });
      expect(got).toMatchObject({ received: BIG, total: BIG });
      expect(sha(await readFile(dest))).toBe(sha(data));
    });
  });

  it.each([
    ['lock-step from the start', true],
    ['probing (unknown)', false],
  ] as const)('a batch (%s): the cut book fails at once, retryable, with its part; the others land byte-exact; a pipelining server is not made lock-step', { timeout: 60_000 }, async (_name, lockStep) => {
    // The first book is the guessed N-0.txt, so its transfer goes in the batch's first write (the first data connection).
    const first = body(BIG, `batch-first-${kind}`);
    const others = [3001, 3002].map((e) => body(SMALL, `batch-${e}-${kind}`));
    const files = { '3/0/0/3000/3000-0.txt': first, '3/0/0/3001/3001-0.txt': others[0]!, '3/0/0/3002/3002-0.txt': others[1]! };
    const verdicts: string[] = [];
    const options = { ...LONG, ftp: { lockStep, onLockStep: (_h: string, reason: string) => verdicts.push(reason) } };
    const raw = path.join(work, `raw-batch-${kind}-${lockStep}`);
    await withFtpFiles({ work, name: `batch-${kind}-${lockStep}`, kind, files, proxy: CUT, options }, async ({ proxy, session: s }) => {
      const results = await s.fetchBooks([3000, 3001, 3002], { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} });
      expect(proxy!.stats.dropped).toBe(1);
      for (const [i, want] of others.entries()) expect((results[i + 1] as FetchedBook).sha256, String(results[i + 1])).toBe(sha(want));
      const listed = await listFiles(raw);
      if (results[0] instanceof FanoutError || kind !== 'pure-ftpd' || lockStep) {
        // pure-ftpd, probing, may answer the probe (a NOOP written during the transfer) with 500 before
        // the cut is seen: replies out of step, the book redone lock-step (whole) within the call.
        expectFailedAtOnce(results[0]);
        expect(listed).toEqual(expect.arrayContaining(['3000-0.txt.part', '3000-0.txt.part.meta']));
      }
      // vsftpd and ProFTPD answer a cut transfer in step (426, then the NOOP written after the cut):
      // nothing to remember about them, and the batch went on on its connection. (pure-ftpd answers
      // only the NOOP; or, still writing when the NOOP or the probe came, 500: out of step, redone.)
      if (kind !== 'pure-ftpd') {
        expect(verdicts).toEqual([]);
        expect(proxy!.stats.connections).toBe(1);
      }

      const again = await s.fetchBooks([3000, 3001, 3002], { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} });
      for (const [i, want] of [first, ...others].entries()) expect((again[i] as FetchedBook).sha256, String(again[i])).toBe(sha(want));
      expect((await listFiles(raw)).sort()).toEqual(['3000-0.txt', '3001-0.txt', '3002-0.txt']);
    });
  });

  it('a symlinked N-0.txt: its guessed transfer (kept as the part, read to its end) leaves no wait for its reply', { timeout: 60_000 }, async () => {
    // The batch guesses N-0.txt with the STAT; the listing gives the symlink no size (all three list
    // it as a link): the guess's data is read to its end into the book's `.part` (cut, it would
    // leave pure-ftpd's RETR without a reply) and the one-book path lands it after SIZE and MDTM
    // (ftp-symlink-once.test.ts; cut by a relay: ftp-symlink-cut.test.ts).
    const data = body(BIG, `linked-${kind}`);
    const links = { '4/0/0/4000/4000-0.txt': '4000-0.data' };
    await withFtpFiles({ work, name: `link-${kind}`, kind, files: { '4/0/0/4000/4000-0.data': data }, links, options: LONG }, async ({ session: s }) => {
      const r = await s.fetchBook(4000, { rawDir: path.join(work, `raw-link-${kind}`), ctx: makeCtx() });
      expect(r.sha256).toBe(sha(data));
    });
  });
});
