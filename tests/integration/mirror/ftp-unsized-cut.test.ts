import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror, type FetchedBook } from '../../../electron/engine/mirror';
import { FTP_SERVER_KINDS, startFtpServerOf, startTcpProxy, type FtpServerKind } from '../../harness';
import { filesMirror, listFiles, makeCtx, removeAll, seeded, sha256, tempDir } from './helpers';
import { startRenameRelay } from './ftp-rename-relay';

/**
 * A book file whose size is unknown: listed as a symlink (no size: the link's own) and `SIZE`
 * refused (renamed `XSIZ` by a relay: every server answers `500`; pure-ftpd cannot turn SIZE off).
 * Nothing then tells a short transfer but the final reply, so the one-book path waits for it. Its
 * data connection cut (the relay, at 1 MB of 10 MB, both data connections the call opens: the
 * batch's guessed N-0.txt, drained, and the one-book path's RETR): vsftpd and ProFTPD answer `426`,
 * pure-ftpd nothing at all (mirror/README.md "A cut FTP transfer"). The wait is bounded (the stall
 * timeout, 3 s here: basic-ftp watches the control connection with it once the data ended), and the
 * book fails retryable naming host, path and ebook; it is never landed without the `226`. The next
 * call, uncut, lands it byte-exact. The books' sessions start lock-step (no NOOP probe during the
 * guess's transfer: pure-ftpd answering it 500 redoes the batch, and which data connections the
 * relay's cuts fall on would be a race).
 */
const BIG = 10_000_000;
let work: string;
let root: string;
const data = seeded(BIG, 'unsized-cut-5000');
beforeAll(async () => {
  work = await tempDir('ftp-unsized-cut');
  root = await filesMirror(work, 'mirror', { '5/0/0/5000/5000-0.data': data }, { '5/0/0/5000/5000-0.txt': '5000-0.data' });
});
afterAll(async () => {
  await removeAll(work);
});

describe.each(FTP_SERVER_KINDS)('FTP: a file of unknown size whose transfer is cut (%s)', (kind: FtpServerKind) => {
  it('fails retryable after a bounded wait, naming host, path and ebook; never landed; the next call lands it', { timeout: 60_000 }, async () => {
    const ftp = await startFtpServerOf(kind, { root });
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true, dropAfterBytes: 1_000_000, dropTimes: 2 });
    const relay = await startRenameRelay(proxy.port, { SIZE: 'XSIZ' });
    const mirror = openMirror(ftp.urlVia(relay.hostPort), { timeoutMs: 3000, stallTimeoutMs: 3000, ftp: { lockStep: true } });
    const rawDir = path.join(work, `raw-${kind}`);
    try {
      const s = mirror.openSession(0);
      const r = await s.fetchBook(5000, { rawDir, ctx: makeCtx() }).catch((e: unknown) => e);
      expect(proxy.stats.dropped).toBe(2);
      expect(relay.renamed).toBeGreaterThan(0);
      // (pure-ftpd may read the batch's probe NOOP during the guess's transfer: out of step, the batch
      // redone lock-step, and both cuts fall on guesses; the RETR then runs whole: landed whole.)
      if (!(r instanceof FanoutError)) {
        expect(kind, String(r)).toBe('pure-ftpd');
        expect((r as FetchedBook).sha256, 'a cut file landed as the book').toBe(sha256(data));
        return;
      }
      const e = r;
      // vsftpd, ProFTPD: `426`; pure-ftpd: no reply at all, the wait bounded by the stall timeout.
      if (kind === 'pure-ftpd') expect(e.message).toMatch(/^No final reply from 127\.0\.0\.1 in 3000 ms after the data of \/5\/0\/0\/5000\/5000-0\.txt ended \(\d+ bytes\): its size is unknown/);
      else expect(e).toMatchObject({ code: 'FTP_TRANSIENT', message: expect.stringMatching(/^FTP 426/) });
      expect(e.retryable, `${e.code}: ${e.message}`).toBe(true);
      expect(e.context).toMatchObject({ host: '127.0.0.1', ebook: 5000, path: '/5/0/0/5000/5000-0.txt' });
      expect(await listFiles(rawDir)).not.toContain('5000-0.txt');
      proxy.setDrop(null);
      const again = await s.fetchBook(5000, { rawDir, ctx: makeCtx() });
      expect((again as FetchedBook).sha256).toBe(sha256(data));
      await s.close();
    } finally {
      await mirror.close();
      await relay.stop();
      await proxy.stop();
      await ftp.stop();
    }
  });
});

/**
 * The same file of unknown size, small enough (200 kB) that the server writes it all before the relay
 * cuts the data at 60 kB with a FIN: vsftpd, pure-ftpd and ProFTPD then answer `226` (their writes
 * succeeded), and only a size could tell the 60 kB short. The one-book path took the `226` as whole and
 * landed 60 kB as the book. vsftpd and ProFTPD name the size in their `150` (`(200000 bytes)`), pure-ftpd
 * in kbytes (`195.3 kbytes to download`, to the tenth: within 52 bytes): the count must fit it.
 */
describe.each(FTP_SERVER_KINDS)('FTP: a small file of unknown size cut after the server wrote it all (%s)', (kind: FtpServerKind) => {
  it('is never landed short: a retryable failure, then the next call lands it', { timeout: 60_000 }, async () => {
    const small = seeded(200_000, `unsized-small-${kind}`);
    const smallRoot = await filesMirror(work, `small-${kind}`, { '5/0/0/5001/5001-0.data': small }, { '5/0/0/5001/5001-0.txt': '5001-0.data' });
    const ftp = await startFtpServerOf(kind, { root: smallRoot });
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true, dropAfterBytes: 60_000, dropTimes: 2 });
    const relay = await startRenameRelay(proxy.port, { SIZE: 'XSIZ' });
    const mirror = openMirror(ftp.urlVia(relay.hostPort), { timeoutMs: 3000, stallTimeoutMs: 3000, ftp: { lockStep: true } });
    const rawDir = path.join(work, `raw-small-${kind}`);
    try {
      const s = mirror.openSession(0);
      const r = await s.fetchBook(5001, { rawDir, ctx: makeCtx() }).catch((e: unknown) => e);
      expect(proxy.stats.dropped).toBe(2);
      if (!(r instanceof FanoutError)) expect((r as FetchedBook).sha256, 'a cut file landed as the book').toBe(sha256(small));
      else {
        expect(r.retryable, `${r.code}: ${r.message}`).toBe(true);
        // The 226 came (the server wrote it all): the 150's size tells; a server still writing answers 426.
        if (r.code !== 'FTP_TRANSIENT') expect(r).toMatchObject({ code: 'SIZE_MISMATCH', message: expect.stringMatching(/^Received 60000 of (200000|199987) bytes \(no size known but the server's 150, which announced (200000 bytes|195\.3 kbytes)\)$/), detail: { size: { verdict: 'short', received: 60_000 } } });
        expect(r.context).toMatchObject({ host: '127.0.0.1', ebook: 5001, path: '/5/0/0/5001/5001-0.txt' });
        expect(await listFiles(rawDir)).not.toContain('5001-0.txt');
      }
      proxy.setDrop(null);
      expect((await s.fetchBook(5001, { rawDir, ctx: makeCtx() })).sha256).toBe(sha256(small));
      await s.close();
    } finally {
      await mirror.close();
      await relay.stop();
      await proxy.stop();
      await ftp.stop();
    }
  });
});

describe.each(FTP_SERVER_KINDS)('FTP: the catalog (fetchFile) without SIZE, cut after the server wrote it all (%s)', (kind: FtpServerKind) => {
  it('is not taken whole: SIZE_MISMATCH (retryable) from the 150, then fetched', { timeout: 60_000 }, async () => {
    const catalog = seeded(200_000, `catalog-${kind}`);
    const catRoot = await filesMirror(work, `catalog-${kind}`, { 'GUTINDEX.ALL': catalog });
    const ftp = await startFtpServerOf(kind, { root: catRoot });
    const proxy = await startTcpProxy({ targetPort: ftp.port, ftp: true, dropAfterBytes: 60_000, dropTimes: 1 });
    const relay = await startRenameRelay(proxy.port, { SIZE: 'XSIZ' });
    const mirror = openMirror(ftp.urlVia(relay.hostPort), { timeoutMs: 3000, stallTimeoutMs: 3000 });
    const dest = path.join(work, `catalog-${kind}.txt`);
    try {
      const s = mirror.openSession(0);
      const r = await s.fetchFile('GUTINDEX.ALL', { dest }).catch((e: unknown) => e);
      expect(proxy.stats.dropped).toBe(1);
      // (ProFTPD may still be writing when the relay cuts: then its own 426.)
      expect(r, String(r)).toMatchObject({ code: expect.stringMatching(/^(SIZE_MISMATCH|FTP_TRANSIENT)$/), retryable: true, context: { host: '127.0.0.1', path: '/GUTINDEX.ALL' } });
      expect(await s.fetchFile('GUTINDEX.ALL', { dest })).toMatchObject({ received: 200_000, total: null });
      await s.close();
    } finally {
      await mirror.close();
      await relay.stop();
      await proxy.stop();
      await ftp.stop();
    }
  });
});
