import { readFile, writeFile, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { withRetry } from '../../../electron/engine/core/retry';
import { openMirror, type OpenMirrorOptions } from '../../../electron/engine/mirror';
import { generateMirror, makeSelfSignedCert, sha256, startFtpServer, type VsftpdServer, type GeneratedMirror, type SelfSignedCert } from '../../harness';
import { TLS_BOOKS, expectTlsFailure, fetchEach, generatedFile, listFiles, makeCtx, removeAll, tempDir } from './helpers';

let work: string;
let gen: GeneratedMirror;
let cert: SelfSignedCert;
let explicit: VsftpdServer;
let implicit: VsftpdServer;

const file = (ebook: number, form: string) => generatedFile(gen, ebook, form);

beforeAll(async () => {
  work = await tempDir('ftps');
  gen = await generateMirror(path.join(work, 'mirror'), TLS_BOOKS);
  cert = await makeSelfSignedCert();
  // vsftpd's default require_ssl_reuse=YES: data connections must resume the control's TLS session.
  [explicit, implicit] = await Promise.all([
    startFtpServer({ root: gen.root, tls: { ...cert } }),
    startFtpServer({ root: gen.root, tls: { ...cert, implicit: true } }),
  ]);
});

afterAll(async () => {
  await Promise.all([explicit?.stop(), implicit?.stop()]);
  await removeAll(work);
});

describe('FTPS mirror (vsftpd, explicit AUTH TLS)', () => {
  it('fetches a pipelined batch byte-exact over TLS (data connections resume the session), with one login', async () => {
    const mirror = openMirror(explicit.url, { timeoutMs: 5000, tls: { ca: cert.cert } });
    const raw = path.join(work, 'raw-batch');
    const before = await explicit.countLogins();
    const s = mirror.openSession(0);
    try {
      const landed: number[] = [];
      const results = await s.fetchBooks([418, 5, 77, 2000], { rawDir: raw, ctx: makeCtx(), onFetched: async (b) => void landed.push(b.ebook) });
      const want = [file(418, '-0.txt'), file(5, '-8.txt'), file(77, '-8.zip'), file(2000, '-0.txt')];
      for (const [i, r] of results.entries()) {
        expect(r).not.toBeInstanceOf(FanoutError);
        expect((r as { sha256: string }).sha256).toBe(want[i]!.textSha256);
      }
      // Each landed once (the N-0.txt books, asked for with the listings, may land first).
      expect([...landed].sort((a, b) => a - b)).toEqual([5, 77, 418, 2000]);
      expect(await listFiles(raw)).toEqual(['2000-0.txt', '418-0.txt', '5-8.txt', '77-8.txt']);
    } finally {
      await mirror.close();
    }
    // vsftpd writes its log asynchronously: poll briefly (bounded).
    let logins = before;
    for (let i = 0; i < 40 && logins - before < 1; i++) {
      logins = await explicit.countLogins();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(logins - before).toBe(1);
  });

  it('fetches texts and a zip byte-exact over TLS, trusting the certificate as a CA, with one login', async () => {
    const before = await explicit.countLogins();
    const mirror = openMirror(explicit.url, { timeoutMs: 5000, tls: { ca: cert.cert } });
    const raw = path.join(work, 'raw-explicit');
    const [a, b, c] = await fetchEach(mirror, [418, 5, 77], raw);
    expect(a).toMatchObject({ remoteName: '418-0.txt', url: `${explicit.url}/4/1/418/418-0.txt` });
    expect(a!.sha256).toBe(file(418, '-0.txt').textSha256);
    expect(sha256(await readFile(a!.rawPath))).toBe(file(418, '-0.txt').sha256);
    expect(b).toMatchObject({ remoteName: '5-8.txt' });
    expect(b!.sha256).toBe(file(5, '-8.txt').textSha256);
    expect(c).toMatchObject({ remoteName: '77-8.zip', fromZip: true });
    expect(c!.sha256).toBe(file(77, '-8.zip').textSha256);
    expect(await listFiles(raw)).toEqual(['418-0.txt', '5-8.txt', '77-8.txt']);
    // One login for the three books; every data connection resumed the TLS session.
    let logins = 0;
    for (let i = 0; i < 40 && logins - before < 1; i++) {
      logins = await explicit.countLogins();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(logins - before).toBe(1);
    const log = await readFile(explicit.logPath, 'utf8');
    expect(log).not.toMatch(/"522 |session reuse required/i);
    expect(log).toMatch(/SSL version: TLSv1\.[23].*, reused/);
    await mirror.close();
  });

  it('rejects the self-signed certificate by default: TLS_FAILED, permanent, with the host', async () => {
    await expectTlsFailure(explicit.url, { timeoutMs: 5000 }, path.join(work, 'raw-untrusted'));
  });

  it('rejects a certificate that does not chain to the CA given', async () => {
    const other = await makeSelfSignedCert();
    await expectTlsFailure(explicit.url, { timeoutMs: 5000, tls: { ca: other.cert } }, path.join(work, 'raw-wrong-ca'));
  });

  it('accepts it with rejectUnauthorized: false', async () => {
    const mirror = openMirror(explicit.url, { timeoutMs: 5000, tls: { rejectUnauthorized: false } });
    const [a] = await fetchEach(mirror, [418], path.join(work, 'raw-insecure'));
    expect(a!.sha256).toBe(file(418, '-0.txt').textSha256);
    await mirror.close();
  });

  it('resumes a .part with REST over TLS', async () => {
    const raw = path.join(work, 'raw-resume');
    const f = file(2000, '-0.txt');
    const whole = await readFile(path.join(gen.root, f.relPath));
    await mkdir(raw, { recursive: true });
    await writeFile(path.join(raw, '2000-0.txt.part'), whole.subarray(0, 123_456));
    // What the attempt that started the part recorded: the size and MDTM (UTC, to the second).
    const mtime = (await stat(path.join(gen.root, f.relPath))).mtime;
    const mdtm = mtime.toISOString().replace(/\.\d+Z$/, '').replace(/\D/g, '');
    await writeFile(path.join(raw, '2000-0.txt.part.meta'), JSON.stringify({ size: f.bytes, modified: `mdtm:${mdtm}` }));
    const mirror = openMirror(explicit.url, { timeoutMs: 5000, tls: { ca: cert.cert } });
    const [r] = await fetchEach(mirror, [2000], raw);
    expect(r).toMatchObject({ resumedFrom: 123_456, transferredBytes: f.bytes - 123_456 });
    expect(r!.sha256).toBe(f.textSha256);
    expect(await listFiles(raw)).toEqual(['2000-0.txt']);
    await mirror.close();
  });
});

describe('FTPS mirror (vsftpd, implicit TLS on a random port)', () => {
  it('fetches byte-exact with tls.implicit', async () => {
    const mirror = openMirror(implicit.url, { timeoutMs: 5000, tls: { ca: cert.cert, implicit: true } });
    const [a, b] = await fetchEach(mirror, [418, 2000], path.join(work, 'raw-implicit'));
    expect(a!.sha256).toBe(file(418, '-0.txt').textSha256);
    expect(b!.sha256).toBe(file(2000, '-0.txt').textSha256);
    await mirror.close();
  });

  it('rejects the self-signed certificate by default', async () => {
    await expectTlsFailure(implicit.url, { timeoutMs: 5000, tls: { implicit: true } }, path.join(work, 'raw-implicit-untrusted'));
  });
});

describe('FTPS in the wrong mode', () => {
  async function failure(url: string, opts: OpenMirrorOptions) {
    const mirror = openMirror(url, opts);
    const s = mirror.openSession(0);
    const ctx = makeCtx();
    let attempts = 0;
    const err = await withRetry(() => (attempts++, s.fetchBook(418, { rawDir: path.join(work, 'raw-mode'), ctx })), { attempts: 3, baseDelayMs: 1, signal: ctx.signal }).catch((e: unknown) => e);
    await mirror.close();
    expect(err).toBeInstanceOf(FanoutError);
    expect((err as FanoutError).code).toBe('TLS_FAILED');
    expect((err as FanoutError).context).toMatchObject({ host: '127.0.0.1', ebook: 418 });
    expect(attempts).toBe(1);
    return (err as FanoutError).message;
  }

  it('ftps:// to a server without TLS: AUTH TLS refused is TLS_FAILED, not a login failure', async () => {
    const plain = await startFtpServer({ root: gen.root });
    try {
      const msg = await failure(plain.url.replace(/^ftp:/, 'ftps:'), { timeoutMs: 5000 });
      expect(msg).toMatch(/^127\.0\.0\.1 refused AUTH TLS \(FTP 530: .*\): it offers no explicit FTPS/);
    } finally {
      await plain.stop();
    }
  });

  it('implicit TLS against an explicit server: the server does not speak TLS on this port', async () => {
    const msg = await failure(explicit.url, { timeoutMs: 5000, tls: { ca: cert.cert, implicit: true } });
    expect(msg).toMatch(/^TLS handshake with 127\.0\.0\.1 failed: the server does not speak TLS on this port .*: wrong version number/);
  });
});
