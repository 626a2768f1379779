import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FTP_SERVER_KINDS } from '../../harness';
import { listFiles, makeCtx, removeAll, seeded as body, sha256 as sha, tempDir, withFtpFiles } from './helpers';

/**
 * A symlinked `N-0.txt` (all three servers list it as a link, without the target's size) is
 * transferred once (HE s17 #8; s18's first try, 30a6bc6, took the guess's transfer as whole at its
 * data end and was backed out: ftp-symlink-cut.test.ts). The batch's guessed `N-0.txt` transfer,
 * sent with the listing, is that file: it was read and dropped and the one-book path fetched it
 * again, so a 3 MB book cost 6 MB. Now its bytes are kept as the `.part`, and the one-book path
 * lands it only when SIZE and MDTM are the byte count and the time recorded with it (no second
 * transfer). Counted by the relay carrying the control and data connections (`bytesDown`).
 */
const SIZE = 3_000_000;
// Lock-step from the start (no NOOP probe during the first transfer): pure-ftpd reading the probe
// while it still sends answers it 500, and the batch redone would transfer the file a second time
// whatever the guess does (which of the two comes first is a race).


let work: string;
beforeAll(async () => {
  work = await tempDir('ftp-symlink-once');
});
afterAll(async () => {
  await removeAll(work);
});

describe.each(FTP_SERVER_KINDS)('FTP: a symlinked N-0.txt (%s)', (kind) => {
  it('is transferred once, its bytes counted once; byte-exact, no part left', { timeout: 60_000 }, async () => {
    const data = body(SIZE, `linked-${kind}`);
    const rawDir = path.join(work, `raw-${kind}`);
    await withFtpFiles(
      { work, name: `once-${kind}`, kind, files: { '4/0/0/4000/4000-0.data': data }, links: { '4/0/0/4000/4000-0.txt': '4000-0.data' }, proxy: { ftp: true }, options: { timeoutMs: 300_000, ftp: { lockStep: true } } },
      async ({ proxy, session: s }) => {
        const ctx = makeCtx();
        const r = await s.fetchBook(4000, { rawDir, ctx });
        expect(r.sha256).toBe(sha(data));
        expect(r.url).toMatch(/\/4000-0\.txt$/);
        expect(ctx.progress.bytes).toBe(SIZE);
        // (Control connection text on top: a few kB.)
        expect(proxy!.stats.bytesDown).toBeLessThan(SIZE + 100_000);
        expect(await listFiles(rawDir)).toEqual(['4000-0.txt']);
      },
    );
  });
});

describe.each(FTP_SERVER_KINDS)('FTP: a dangling symlinked N-0.txt (%s)', (kind) => {
  // The guess's RETR is refused (550) and no data comes on the connection opened for it: the kept
  // guess must not wait for its end (it did, for the stall timeout: 300 s here, so the test's 60 s).
  // What the one-book path then makes of a dangling link is its own (each server differs).
  it('its refused guess waits for nothing and keeps nothing: the book fails', { timeout: 60_000 }, async () => {
    const rawDir = path.join(work, `raw-dangling-${kind}`);
    await withFtpFiles(
      { work, name: `dangling-${kind}`, kind, files: { '4/0/0/4000/4000-0.gone': body(1000, 'gone') }, links: { '4/0/0/4000/4000-0.txt': '4000-0.gone' }, options: { timeoutMs: 300_000 } },
      async ({ root, session: s }) => {
        await rm(path.join(root, '4/0/0/4000/4000-0.gone'));
        const r = await s.fetchBook(4000, { rawDir, ctx: makeCtx() }).catch((e: unknown) => e);
        expect(r, String(r)).toBeInstanceOf(Error);
        expect(await listFiles(rawDir).catch(() => [])).not.toContain('4000-0.txt');
      },
    );
  });
});
