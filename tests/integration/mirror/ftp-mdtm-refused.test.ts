import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, FTPError } from 'basic-ftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMirror, type FetchedBook } from '../../../electron/engine/mirror';
import { generateMirror, startFtpServer, startProftpd, type FtpServer, type GeneratedMirror } from '../../harness';
import { count, makeCtx, removeAll, startGateRelay, tempDir } from './helpers';

/**
 * A server that pipelines (reads commands queued during a transfer in order) but refuses MDTM:
 * the batch writes `MDTM` + `EPSV` + `RETR` for the next books while a transfer runs. A `500` there
 * would not fit (it is what pure-ftpd answers to commands it read during a transfer) and would make
 * the server lock-step for 30 days. The two servers that can be configured without MDTM refuse it
 * with `550`, which fits (a refusal: the part records the listing's date), so they stay pipelined.
 * (pure-ftpd cannot turn MDTM off.)
 */

const BOOKS = [2000, 2001, 2002, 2003, 2004, 2005];
let work: string;
let gen: GeneratedMirror;

beforeAll(async () => {
  work = await tempDir('ftp-mdtm-refused');
  gen = await generateMirror(path.join(work, 'mirror'), BOOKS.map((ebook) => ({ ebook, files: ['-0.txt'], sizeBytes: 60_000 })));
});
afterAll(async () => {
  await removeAll(work);
});

const SERVERS = {
  // ProFTPD: `<Limit MDTM> DenyAll` in each book folder's .ftpaccess.
  proftpd: async () => {
    for (const ebook of BOOKS) await writeFile(path.join(gen.root, gen.books.get(ebook)!.dir, '.ftpaccess'), '<Limit MDTM>\n  DenyAll\n</Limit>\n');
    return startProftpd({ root: gen.root });
  },
  // vsftpd: `cmds_denied=MDTM`.
  vsftpd: () => startFtpServer({ root: gen.root, extraConfig: ['cmds_denied=MDTM'] }),
} as const;

describe.each(Object.keys(SERVERS) as Array<keyof typeof SERVERS>)('FTP: a pipelining server that refuses MDTM (%s)', (kind) => {
  let ftp: FtpServer;
  beforeAll(async () => {
    ftp = await SERVERS[kind]();
  });
  afterAll(async () => {
    await ftp?.stop();
    for (const ebook of BOOKS) await writeFile(path.join(gen.root, gen.books.get(ebook)!.dir, '.ftpaccess'), '');
  });

  it('refuses MDTM with 550 (not 500)', async () => {
    const c = new Client(5000);
    try {
      const u = new URL(ftp.url);
      await c.access({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username) || 'anonymous', password: decodeURIComponent(u.password) || 'guest' });
      const e = await c.send(`MDTM /${gen.books.get(2000)!.dir}/2000-0.txt`).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(FTPError);
      expect((e as FTPError).code).toBe(550);
    } finally {
      c.close();
    }
  });

  it('a batch pipelines after its probe, every book byte-exact, and the server is not made lock-step', async () => {
    // Records what the client wrote (holds nothing back).
    const relay = await startGateRelay({ targetPort: ftp.port, from: () => false, until: () => true });
    const verdicts: string[] = [];
    const mirror = openMirror(ftp.urlVia(relay.hostPort), { timeoutMs: 10_000, ftp: { onLockStep: (_h, reason) => verdicts.push(reason) } });
    try {
      const results = await mirror.openSession(0).fetchBooks(BOOKS, { rawDir: path.join(work, `raw-${kind}`), ctx: makeCtx(), onFetched: async () => {} });
      for (const [i, ebook] of BOOKS.entries()) expect((results[i] as FetchedBook).sha256, String(results[i])).toBe(gen.books.get(ebook)!.files[0]!.textSha256);
      expect(verdicts).toEqual([]);
      // The probe passed: MDTMs went out behind it (written while transfers ran), and were refused in step.
      const sent = relay.sent.join('');
      const afterProbe = sent.slice(sent.indexOf('NOOP\r\n'));
      expect(sent).toContain('NOOP\r\n');
      expect(count(afterProbe, 'MDTM ')).toBeGreaterThanOrEqual(3);
    } finally {
      await mirror.close();
      await relay.stop();
    }
  });
});
