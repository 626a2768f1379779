import path from 'node:path';
import { Client } from 'basic-ftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror, type FetchedBook } from '../../../electron/engine/mirror';
import { receiveListing } from '../../../electron/engine/mirror/ftp-list';
import { listingShort } from '../../../electron/engine/mirror/listing-parsers';
import { FTP_SERVER_KINDS, startFtpServerOf, startTcpProxy, type FtpServerKind } from '../../harness';
import { filesMirror, makeCtx, removeAll, seeded, sha256, tempDir } from './helpers';
import { startRenameRelay } from './ftp-rename-relay';

/**
 * A folder listing whose data connection is cut (the relay cuts the next data connection after N
 * bytes, then closes it with a FIN: the client sees a normal end). pure-ftpd answers such a LIST
 * `226` all the same (ls.c: its listing writes ignore errors), and basic-ftp's `list()` took the
 * bytes that came as the folder's whole listing: a book whose file was cut away from it was
 * BOOK_NOT_FOUND (permanent). vsftpd and ProFTPD answer `426` when their write fails, but a listing
 * this small is written whole before the relay cuts it: they answer `226` too, and only the text
 * (a cut line) or a second listing can tell.
 *
 * The LIST path: STAT renamed `XSTA` by a relay (every server answers `500`: no STAT listing), so
 * the session lists with LIST. Book 4000's folder holds 60 padding files that sort before
 * `4000-0.txt`: a cut anywhere short of the end drops the book's line. Every cut point ends in the
 * book landing byte-exact or a retryable failure, never BOOK_NOT_FOUND; a failed one lands on the
 * next call. Timeouts of 300 s: a wait for a reply that never comes fails by the test's 60 s.
 */
const LONG = { timeoutMs: 300_000, stallTimeoutMs: 300_000 };
const PADS = 60;
const book = seeded(30_000, 'listing-cut-4000');
const other = seeded(20_000, 'listing-cut-4001');
const files: Record<string, Buffer> = { '4/0/0/4000/4000-0.txt': book, '4/0/0/4001/4001-0.txt': other };
for (let i = 0; i < PADS; i++) files[`4/0/0/4000/0-pad-${String(i).padStart(2, '0')}.htm`] = seeded(100, `pad-${i}`);

let work: string;
let root: string;
beforeAll(async () => {
  work = await tempDir('ftp-listing-cut');
  root = await filesMirror(work, 'mirror', files);
});
afterAll(async () => {
  await removeAll(work);
});

/** The uncut `LIST -a` of book 4000's folder on `kind` (to cut it at a line end), through a plain client. */
async function fullListing(url: string): Promise<string> {
  const client = new Client(10_000);
  try {
    const u = new URL(url);
    await client.access({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username || 'anonymous'), password: decodeURIComponent(u.password || 'guest') });
    return (await receiveListing(client, '/4/0/0/4000', ['LIST -a'])).text;
  } finally {
    client.close();
  }
}

type Cut = 'nothing' | 'mid-line' | 'before the book line';

function cutAt(listing: string, where: Cut): number {
  if (where === 'nothing') return 0;
  if (where === 'mid-line') return Math.floor(listing.length / 2) + 3;
  // Every line but the book's: a cut at a line end.
  const lines = listing.split(/(?<=\n)/);
  const at = lines.findIndex((l) => l.includes('4000-0.txt'));
  return lines.slice(0, at).join('').length;
}

describe.each(FTP_SERVER_KINDS)('FTP LIST path: a listing whose data connection is cut (%s)', (kind: FtpServerKind) => {
  it.each(['nothing', 'mid-line', 'before the book line'] as const)('cut %s: the book lands whole or fails retryable, never BOOK_NOT_FOUND; the next call lands it', { timeout: 60_000 }, async (where) => {
    const ftp = await startFtpServerOf(kind, { root });
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true });
    const relay = await startRenameRelay(proxy.port, { STAT: 'XSTA' });
    const mirror = openMirror(ftp.urlVia(relay.hostPort), LONG);
    try {
      const listing = await fullListing(ftp.url);
      expect(listing).toContain('4000-0.txt');
      const rawDir = path.join(work, `raw-${kind}-${where.replace(/ /g, '-')}`);
      const s = mirror.openSession(0);
      // First call: the session finds STAT unusable (500) and lists with LIST from then on.
      expect((await s.fetchBook(4001, { rawDir, ctx: makeCtx() })).sha256).toBe(sha256(other));
      expect(relay.renamed).toBeGreaterThan(0);
      proxy.setDrop({ afterBytes: cutAt(listing, where), times: 1, on: 'data' });
      const r = await s.fetchBook(4000, { rawDir, ctx: makeCtx() }).catch((e: unknown) => e);
      expect(proxy.stats.dropped).toBe(1);
      // pure-ftpd's `226 N matches total` tells any cut: the call fails (the listing named).
      if (kind === 'pure-ftpd') expect(r, String(r)).toMatchObject({ code: 'CONNECTION_RESET', message: expect.stringMatching(/listing of \/4\/0\/0\/4000 .*cut short/) });
      if (r instanceof FanoutError) {
        expect(r.code, r.message).not.toBe('BOOK_NOT_FOUND');
        expect(r.retryable, `${r.code}: ${r.message}`).toBe(true);
        expect(r.context).toMatchObject({ host: '127.0.0.1', ebook: 4000, path: '/4/0/0/4000' });
        const again = await s.fetchBook(4000, { rawDir, ctx: makeCtx() });
        expect(again.sha256).toBe(sha256(book));
      } else {
        expect(r, String(r)).toMatchObject({ sha256: sha256(book) });
        expect((r as FetchedBook).url).toMatch(/4000-0\.txt$/);
      }
      await s.close();
    } finally {
      await mirror.close();
      await relay.stop();
      await proxy.stop();
      await ftp.stop();
    }
  });

  // NLST and MLSD (basic-ftp lists with MLSD after an `access()` login, as FTPS sessions do, where
  // FEAT offers it): the same rules on the same cut, for every command the server knows.
  it.each(['NLST', 'MLSD', 'LIST -a'])('%s cut at a line end or mid-line is never taken as whole when the server tells', { timeout: 60_000 }, async (command) => {
    const ftp = await startFtpServerOf(kind, { root });
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true });
    const client = new Client(10_000);
    try {
      const u = new URL(ftp.urlVia(proxy.hostPort));
      await client.access({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username || 'anonymous'), password: decodeURIComponent(u.password || 'guest') });
      const whole = await receiveListing(client, '/4/0/0/4000', [command]).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      if (whole instanceof Error) {
        // vsftpd has no MLSD.
        expect(`${kind} ${command}`).toBe('vsftpd MLSD');
        return;
      }
      expect(listingShort(whole.text, whole.reply.message).kind).not.toBe('short');
      const lines = whole.text.split(/(?<=\n)/);
      for (const at of [lines.slice(0, 5).join('').length, lines.slice(0, 5).join('').length + 7]) {
        proxy.setDrop({ afterBytes: at, times: 1, on: 'data' });
        const cut = await receiveListing(client, '/4/0/0/4000', [command]).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
        expect(proxy.stats.dropped).toBeGreaterThan(0);
        proxy.setDrop(null);
        // vsftpd/ProFTPD may answer 426 (an FTP error): not whole either.
        if (cut instanceof Error) continue;
        const verdict = listingShort(cut.text, cut.reply.message);
        if (kind === 'pure-ftpd' || !cut.text.endsWith('\n')) expect(verdict.kind, `${command} cut at ${at}: ${cut.reply.message}`).toBe('short');
        // vsftpd and ProFTPD count nothing: a cut at a line end of a listing they wrote whole looks whole.
        else expect(verdict.kind).toBe('uncounted');
      }
    } finally {
      client.close();
      await proxy.stop();
      await ftp.stop();
    }
  });
});

/**
 * STAT's listing comes on the control connection: cut there, the reply never ends (no `213 End`), and
 * the batch (STAT + the guessed N-0.txt in one write) ends as on any lost connection: its books fail
 * retryable, never BOOK_NOT_FOUND, and the next call (a new login) lands them.
 */
describe.each(FTP_SERVER_KINDS)('FTP STAT listing cut on the control connection (%s)', (kind: FtpServerKind) => {
  it('the batch fails its books retryable, never BOOK_NOT_FOUND; the next call lands them', { timeout: 60_000 }, async () => {
    const ftp = await startFtpServerOf(kind, { root });
    // The control bytes before the listing (banner, login replies) are under 1.5 kB on all three
    // servers; book 4000's STAT listing is some 4.5 kB: a cut at 2.5 kB lands inside it.
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true, dropAfterBytes: 2500, dropTimes: 1, dropOn: 'control' });
    const mirror = openMirror(ftp.urlVia(proxy.hostPort), LONG);
    try {
      const s = mirror.openSession(0);
      const rawDir = path.join(work, `raw-stat-${kind}`);
      const r = await s.fetchBooks([4001, 4000], { rawDir, ctx: makeCtx(), onFetched: async () => {} }).catch((e: unknown) => [e, e]);
      expect(proxy.stats.dropped).toBe(1);
      for (const x of r) {
        expect(x, String(x)).toBeInstanceOf(FanoutError);
        expect((x as FanoutError).code).not.toBe('BOOK_NOT_FOUND');
        expect((x as FanoutError).retryable, String(x)).toBe(true);
      }
      const again = await s.fetchBooks([4001, 4000], { rawDir, ctx: makeCtx(), onFetched: async () => {} });
      expect(again.map((b) => (b as FetchedBook).sha256)).toEqual([sha256(other), sha256(book)]);
      await s.close();
    } finally {
      await mirror.close();
      await proxy.stop();
      await ftp.stop();
    }
  });
});

/**
 * The wrong-root probe's listing (`listFolderNames`, LIST on the session's connection): a mirror root
 * whose listing is cut before its first byte. vsftpd and ProFTPD answer `226` (written whole before
 * the cut) with nothing to tell it short: the probe read an empty root (its verdict, a wrong root,
 * stops the job). Now pure-ftpd's count fails it (retryable) and the others' names come from a
 * second listing too.
 */
describe.each(FTP_SERVER_KINDS)('FTP wrong-root probe: the root listing cut before its first byte (%s)', (kind: FtpServerKind) => {
  it('gives every name of the root or fails retryable, never an empty root', { timeout: 60_000 }, async () => {
    const ftp = await startFtpServerOf(kind, { root });
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true, dropAfterBytes: 0, dropTimes: 1 });
    const mirror = openMirror(ftp.urlVia(proxy.hostPort), LONG);
    try {
      const s = mirror.openSession(0);
      const names = await s.listFolderNames!('').catch((e: unknown) => e);
      expect(proxy.stats.dropped).toBe(1);
      if (names instanceof FanoutError) {
        expect(kind).toBe('pure-ftpd');
        expect(names).toMatchObject({ code: 'CONNECTION_RESET', retryable: true });
        expect(await s.listFolderNames!('')).toContain('4/');
      } else expect(names).toContain('4/');
      await s.close();
    } finally {
      await mirror.close();
      await proxy.stop();
      await ftp.stop();
    }
  });
});
