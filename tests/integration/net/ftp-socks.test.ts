import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema, type GutenbergJobInput } from '../../../shared/job-spec';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import { openMirror } from '../../../electron/engine/mirror';
import { checkGutenbergInputs } from '../../../electron/engine/inputs/job-inputs';
import { makeSelfSignedCert, startFtpServer, startFtpServerOf, type FtpServer, type MirrorBookSpec } from '../../harness';
import { startDante, type DanteServer } from '../../harness/dante-server';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';
import { expectFixtureBooksExact, runFixtureJob } from '../gutenberg/fixture-job';

// Issue 13 item 3: FTP mirrors through a SOCKS5 proxy (Dante), control and data connections.
const BOOKS: MirrorBookSpec[] = [
  { ebook: 1001, files: ['-0.txt', '-8.txt'], title: 'Two forms' },
  { ebook: 1002, files: ['-8.txt'], title: 'Latin one' },
  { ebook: 1004, files: ['-0.zip'], title: 'Zipped' },
  { ebook: 1005, files: [], title: 'Missing' },
  ...Array.from({ length: 8 }, (_, i): MirrorBookSpec => ({ ebook: 2000 + i, files: ['-0.txt'], title: `Filler ${i}`, sizeBytes: 40_000 + i * 9_000 })),
];

let fx: GutenbergFixture;
let socks: DanteServer;
beforeAll(async () => {
  [fx, socks] = await Promise.all([startGutenbergFixture(BOOKS), startDante()]);
});
afterAll(async () => {
  await socks?.stop();
  await fx?.cleanup();
});

const run = (name: string, input: Partial<GutenbergJobInput>) => runFixtureJob(fx, name, input);
const expectByteExact = (manifest: ManifestEntry[]) => expectFixtureBooksExact(fx, BOOKS, manifest);

/** Connections Dante relayed, by destination port: `pass(1): tcp/connect [: client proxy -> proxy-out 127.0.0.1.PORT`. */
async function relayed(): Promise<Map<number, number>> {
  const byPort = new Map<number, number>();
  for (const m of (await socks.log()).matchAll(/pass\(1\): tcp\/connect \[: [^\n]*?-> 127\.0\.0\.1\.\d+ 127\.0\.0\.1\.(\d+)/g)) {
    const port = Number(m[1]);
    byPort.set(port, (byPort.get(port) ?? 0) + 1);
  }
  return byPort;
}

describe.each(['vsftpd', 'pure-ftpd'] as const)('FTP through SOCKS5 (Dante): %s', (kind) => {
  let server: FtpServer;
  beforeAll(async () => {
    server = kind === 'vsftpd' ? fx.ftp : await startFtpServerOf(kind, { root: fx.mirror.root });
  });
  afterAll(async () => {
    if (server !== fx.ftp) await server?.stop();
  });

  it('every book byte-exact; the control and every data connection went through the proxy', async () => {
    const before = await relayed();
    const { summary, manifest } = await run(`socks-${kind}`, { mirror: server.url, proxy: socks.url });
    expect(summary).toMatchObject({ itemsDone: BOOKS.length - 1, itemsFailed: 1 }); // the missing book
    expectByteExact(manifest);
    const after = await relayed();
    const delta = (port: number) => (after.get(port) ?? 0) - (before.get(port) ?? 0);
    // The control connections (one per worker at least) and data connections (one per transfer at least).
    expect(delta(server.port)).toBeGreaterThanOrEqual(1);
    const dataPorts = [...after.keys()].filter((p) => p !== server.port && delta(p) > 0);
    expect(dataPorts.reduce((n, p) => n + delta(p), 0)).toBeGreaterThanOrEqual(BOOKS.length - 1);
  });
});

describe('basic-ftp\'s own transfers through SOCKS5', () => {
  it('fetchFile (the catalog download: basic-ftp\'s RETR with our EPSV data connection) is byte-exact through the proxy', async () => {
    const before = await relayed();
    const mirror = openMirror(fx.ftp.url, { timeoutMs: 10_000, proxy: socks.url });
    try {
      const file = fx.mirror.books.get(2003)!.files[0]!;
      const dest = join(fx.dir, 'fetched-via-socks.txt');
      // The size is checked against the bytes counted (the proxy's handshake once counted as the file's: 25 too many).
      const fetched = await mirror.openSession(0).fetchFile(file.relPath, { dest });
      expect(fetched.received).toBe(file.bytes);
      expect(createHash('sha256').update(await readFile(dest)).digest('hex')).toBe(file.textSha256);
    } finally {
      await mirror.close();
    }
    const after = await relayed();
    const grew = [...after].filter(([port, n]) => n > (before.get(port) ?? 0)).map(([port]) => port);
    expect(grew).toContain(fx.ftp.port); // the control connection
    expect(grew.length).toBeGreaterThanOrEqual(2); // and the data connection
  });
});

describe('a capped job through SOCKS5', () => {
  // Books held back by a 32 KiB/s cap for longer than the 1 s timeout: the batch's progress
  // watchdog once took that for a silent server and cut every connection (with or without a proxy).
  it('transfers held back by the bandwidth cap longer than the timeout are not cut', async () => {
    const ids = [2005, 2006, 2007];
    const { summary, manifest } = await run('socks-capped', {
      mirror: fx.ftp.url, proxy: socks.url, selection: { ids: ids.map((id) => ({ from: id, to: id })) },
      workers: 3, strategy: 'queue', limitRate: 32 * 1024, timeoutMs: 1000, attempts: 1,
    });
    expect(summary).toMatchObject({ itemsDone: 3, itemsFailed: 0 });
    for (const e of manifest) expect(e.rawSha256, `ebook ${e.ebook}`).toBe(fx.mirror.books.get(e.ebook)!.files[0]!.textSha256);
  });
});

describe('FTPS and bad combinations through SOCKS5', () => {
  it('explicit FTPS through the proxy: byte-exact, the certificate still checked', async () => {
    const cert = await makeSelfSignedCert();
    const caFile = join(fx.dir, 'ftps-ca.pem');
    await writeFile(caFile, cert.cert);
    const ftps = await startFtpServer({ root: fx.mirror.root, tls: { cert: cert.cert, key: cert.key } });
    try {
      const { summary, manifest } = await run('socks-ftps', { mirror: ftps.url, proxy: socks.url, mirrorTls: { allowUntrustedCert: false, caFile } });
      expect(summary).toMatchObject({ itemsDone: BOOKS.length - 1, itemsFailed: 1 });
      expectByteExact(manifest);
      const untrusted = await run('socks-ftps-untrusted', { mirror: ftps.url, proxy: socks.url });
      expect(untrusted.summary.failures).toEqual([expect.objectContaining({ item: '(job)', error: expect.objectContaining({ code: 'TLS_FAILED' }) })]);
    } finally {
      await ftps.stop();
    }
  });

  it('an HTTP mirror with a SOCKS5 proxy, and an FTP mirror with an HTTP proxy, are refused before connecting', async () => {
    await expect(run('socks-http', { mirror: fx.http.url, proxy: socks.url })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/HTTP mirrors go through an HTTP proxy/) });
    await expect(run('ftp-http-proxy', { mirror: fx.ftp.url, proxy: 'http://127.0.0.1:9' })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/FTP mirrors cannot go through a proxy other than SOCKS5/) });
  });

  it('the input check names the mismatch before the job starts (the UI shows it under the proxy field)', async () => {
    const ftpHttp = await checkGutenbergInputs(GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, outDir: join(fx.dir, 'chk-1'), mirror: fx.ftp.url, proxy: 'http://u:secret@127.0.0.1:3128' }));
    expect(ftpHttp.problems).toEqual([{ field: 'proxy', value: 'http://u:***@127.0.0.1:3128', message: expect.stringMatching(/^an ftp:\/\/ mirror goes through a SOCKS5 proxy only/) }]);
    const httpSocks = await checkGutenbergInputs(GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, outDir: join(fx.dir, 'chk-2'), mirror: fx.http.url, proxy: socks.url }));
    expect(httpSocks.problems).toEqual([expect.objectContaining({ field: 'proxy', message: expect.stringMatching(/not SOCKS5/) })]);
    const fine = await checkGutenbergInputs(GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, outDir: join(fx.dir, 'chk-3'), mirror: fx.ftp.url, proxy: socks.url }));
    expect(fine.problems).toEqual([]);
  });

  it('a proxy that is not there stops the job with an error naming the proxy', async () => {
    const { summary } = await run('socks-down', { mirror: fx.ftp.url, proxy: 'socks5://127.0.0.1:9' });
    expect(summary.status).toBe('failed');
    expect(JSON.stringify(summary.failures)).toMatch(/SOCKS5 proxy 127\.0\.0\.1:9/);
  });
});
