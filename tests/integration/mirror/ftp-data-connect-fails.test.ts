import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror, type FetchedBook } from '../../../electron/engine/mirror';
import { FTP_SERVER_KINDS, startFtpServer } from '../../harness';
import { filesMirror, makeCtx, removeAll, seeded as body, sha256 as sha, tempDir, withFtpFiles } from './helpers';

/**
 * Our side cannot open a data connection: the socket cannot even be made (EMFILE, this process at
 * its open-files limit; `prlimit --nofile=64`, 16 workers). The server has answered the EPSV and
 * waits for that connection (vsftpd for its accept_timeout, 60 s; pure-ftpd and ProFTPD longer),
 * answering nothing meanwhile. Measured s17: 16 FTP workers at nofile 64 took 30.6 s in every run
 * (a batch waited for its 30 s watchdog), 2-3 s without the limit.
 *
 * The failure is made certain by a stand-in for `net.Socket.prototype.connect` that fails the next
 * `failing` data connections (any port but the control port) as Node does at EMFILE: an `error`
 * event (`connect EMFILE`, code EMFILE) on the next tick, the socket never opened. Timeouts of 300 s:
 * a wait for the server fails by the test's own bound (60 s), not a timing assertion.
 */

const LONG = { timeoutMs: 300_000, stallTimeoutMs: 300_000 };
const SMALL = 30_000;
const BIG = 3_000_000;

let work: string;
beforeAll(async () => {
  work = await tempDir('ftp-data-connect-fails');
});
afterAll(async () => {
  await removeAll(work);
});

/** Data connections (any port but `controlPort`) still to fail, and how many did. */
const emfile = { controlPort: 0, failing: 0, failed: 0 };
const realConnect = net.Socket.prototype.connect;
afterEach(() => {
  vi.restoreAllMocks();
  emfile.failing = 0;
  emfile.failed = 0;
});

function failDataConnects(controlPort: number, n: number): void {
  Object.assign(emfile, { controlPort, failing: n, failed: 0 });
  vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    const first = args[0] as { port?: unknown } | number | string;
    const port = Number(typeof first === 'object' && first !== null ? first.port : first);
    if (emfile.failing > 0 && port !== emfile.controlPort) {
      emfile.failing--;
      emfile.failed++;
      const err = Object.assign(new Error(`connect EMFILE 127.0.0.1:${port} - Local (undefined:undefined)`), { code: 'EMFILE', errno: -24, syscall: 'connect' });
      process.nextTick(() => this.destroy(err));
      return this;
    }
    return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as never);
}

function expectOutOfResources(r: unknown): void {
  expect(r, String(r)).toBeInstanceOf(FanoutError);
  const e = r as FanoutError;
  expect(e.code, e.message).toBe('OUT_OF_RESOURCES');
  expect(e.retryable).toBe(true);
  expect(e.message).toMatch(/EMFILE/);
}

describe("FTP: our side cannot open a wasted guess's data connection (EMFILE; vsftpd with STAT refused)", () => {
  it('STAT refused, the guessed N-0.txt there (its MDTM answered): its data, to be read and dropped, cannot be: no wait for the server; the book fetched on a new connection', { timeout: 60_000 }, async () => {
    // No listing (cmds_denied=STAT): the books go to the one-book path (LIST); the guess's file is
    // there by its MDTM, so its data connection is opened to be drained (the one that fails).
    const data = body(SMALL, 'stat-denied');
    const root = await filesMirror(work, 'drain', { '3/0/0/3000/3000-0.txt': data });
    const ftp = await startFtpServer({ root, extraConfig: ['cmds_denied=STAT'] });
    const mirror = openMirror(ftp.url, LONG);
    try {
      const s = mirror.openSession(0);
      failDataConnects(ftp.port, 1);
      const r = await s.fetchBook(3000, { rawDir: path.join(work, 'raw-drain'), ctx: makeCtx() });
      expect(emfile.failed).toBe(1);
      expect(r.sha256).toBe(sha(data));
      await s.close();
    } finally {
      await mirror.close();
      await ftp.stop();
    }
  });
});

describe.each(FTP_SERVER_KINDS)('FTP: our side cannot open a data connection (EMFILE) (%s)', (kind) => {
  it('a batch: the book fails at once, OUT_OF_RESOURCES (retryable); no wait for the server; the next call fetches every book', { timeout: 60_000 }, async () => {
    const data = [3000, 3001, 3002].map((e) => body(SMALL, `batch-${e}-${kind}`));
    const files = Object.fromEntries(data.map((d, i) => [`3/0/0/300${i}/300${i}-0.txt`, d]));
    const raw = path.join(work, `raw-batch-${kind}`);
    await withFtpFiles({ work, name: `batch-${kind}`, kind, files, options: LONG }, async ({ ftp, session: s }) => {
      // The first data connection is the first book's (its guessed N-0.txt, in the batch's first write).
      failDataConnects(ftp.port, 1);
      const results = await s.fetchBooks([3000, 3001, 3002], { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} });
      expect(emfile.failed).toBe(1);
      expectOutOfResources(results[0]);
      // The others landed, or failed retryable with the connection.
      for (const [i, r] of results.slice(1).entries()) {
        if (r instanceof FanoutError) expect(r.retryable, `${r.code}: ${r.message}`).toBe(true);
        else expect(r.sha256).toBe(sha(data[i + 1]!));
      }
      const again = await s.fetchBooks([3000, 3001, 3002], { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} });
      for (const [i, want] of data.entries()) expect((again[i] as FetchedBook).sha256, String(again[i])).toBe(sha(want));
    });
  });

  it('the control connection cannot be opened either: the call rejects OUT_OF_RESOURCES (nothing left waiting); the next call fetches the book', { timeout: 60_000 }, async () => {
    const data = body(SMALL, `control-${kind}`);
    const raw = path.join(work, `raw-control-${kind}`);
    await withFtpFiles({ work, name: `control-${kind}`, kind, files: { '3/0/0/3000/3000-0.txt': data }, options: LONG }, async ({ session: s }) => {
      failDataConnects(-1, 1); // (the control port included)
      expectOutOfResources(await s.fetchBooks([3000], { rawDir: raw, ctx: makeCtx(), onFetched: async () => {} }).catch((e: unknown) => e));
      expect(emfile.failed).toBe(1);
      expect((await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() })).sha256).toBe(sha(data));
    });
  });

  it('a symlinked N-0.txt (its guessed transfer to be read and dropped): no wait for the server; the book fetched on a new connection', { timeout: 60_000 }, async () => {
    // All three list the symlink as a link (`-> target`, no size): the guess is drained (its data
    // connection is the one that fails) and the book goes to the one-book path.
    const data = body(SMALL, `linked-${kind}`);
    const raw = path.join(work, `raw-link-${kind}`);
    const links = { '4/0/0/4000/4000-0.txt': '4000-0.data' };
    await withFtpFiles({ work, name: `link-${kind}`, kind, files: { '4/0/0/4000/4000-0.data': data }, links, options: LONG }, async ({ ftp, session: s }) => {
      failDataConnects(ftp.port, 1);
      const r = await s.fetchBook(4000, { rawDir: raw, ctx: makeCtx() });
      expect(emfile.failed).toBe(1);
      expect(r.sha256).toBe(sha(data));
    });
  });

  it("the one-book path (2 MiB or more: basic-ftp's own data connection, EPSV then PASV both failing): OUT_OF_RESOURCES (retryable), not INTERNAL; then fetched", { timeout: 60_000 }, async () => {
    const data = body(BIG, `one-book-${kind}`);
    const raw = path.join(work, `raw-one-${kind}`);
    await withFtpFiles({ work, name: `one-${kind}`, kind, files: { '3/0/0/3000/3000-8.txt': data }, options: LONG }, async ({ ftp, session: s }) => {
      // (The guessed 3000-0.txt is listed absent: its data connection is never opened.)
      failDataConnects(ftp.port, 2);
      expectOutOfResources(await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e));
      expect(emfile.failed).toBe(2);
      expect((await s.fetchBook(3000, { rawDir: raw, ctx: makeCtx() })).sha256).toBe(sha(data));
    });
  });

  it('the catalog download (fetchFile): OUT_OF_RESOURCES (retryable), not INTERNAL; then fetched', { timeout: 60_000 }, async () => {
    const data = body(SMALL, `catalog-${kind}`);
    const dest = path.join(work, `catalog-${kind}`);
    await withFtpFiles({ work, name: `file-${kind}`, kind, files: { 'GUTINDEX.ALL': data }, options: LONG }, async ({ ftp, session: s }) => {
      failDataConnects(ftp.port, 2);
      expectOutOfResources(await s.fetchFile('GUTINDEX.ALL', { dest }).catch((e: unknown) => e));
      expect(emfile.failed).toBe(2);
      expect(await s.fetchFile('GUTINDEX.ALL', { dest })).toMatchObject({ received: SMALL, total: SMALL });
    });
  });
});
