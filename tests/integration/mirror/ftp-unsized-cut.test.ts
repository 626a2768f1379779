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
 * call, uncut, lands it byte-exact.
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
    const mirror = openMirror(ftp.urlVia(relay.hostPort), { timeoutMs: 3000, stallTimeoutMs: 3000 });
    const rawDir = path.join(work, `raw-${kind}`);
    try {
      const s = mirror.openSession(0);
      const r = await s.fetchBook(5000, { rawDir, ctx: makeCtx() }).catch((e: unknown) => e);
      expect(proxy.stats.dropped).toBe(2);
      expect(relay.renamed).toBeGreaterThan(0);
      expect(r, String(r)).toBeInstanceOf(FanoutError);
      const e = r as FanoutError;
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
