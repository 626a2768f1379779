import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { withRetry } from '../../../electron/engine/core/retry';
import { openMirror } from '../../../electron/engine/mirror';
import { generateMirror, makeSelfSignedCert, sha256, startHttpServer, type GeneratedMirror, type HttpServer, type SelfSignedCert } from '../../harness';
import { TLS_BOOKS, expectTlsFailure, fetchEach, generatedFile, listFiles, makeCtx, removeAll, tempDir } from './helpers';

let work: string;
let gen: GeneratedMirror;
let cert: SelfSignedCert;
let server: HttpServer;

const file = (ebook: number, form: string) => generatedFile(gen, ebook, form);

beforeAll(async () => {
  work = await tempDir('https');
  gen = await generateMirror(path.join(work, 'mirror'), TLS_BOOKS);
  cert = await makeSelfSignedCert();
  server = await startHttpServer({ root: gen.root, tls: cert });
});

afterAll(async () => {
  await server?.stop();
  await removeAll(work);
});

beforeEach(() => server.hooks.clear());

describe('HTTPS mirror', () => {
  it('fetches byte-exact over one keep-alive TLS connection, trusting the certificate as a CA', async () => {
    const mirror = openMirror(server.url, { timeoutMs: 5000, tls: { ca: cert.cert } });
    const raw = path.join(work, 'raw-ca');
    const c0 = server.connections();
    const [a, b, c] = await fetchEach(mirror, [418, 5, 77], raw);
    expect(a).toMatchObject({ remoteName: '418-0.txt', url: `${server.url}/4/1/418/418-0.txt` });
    expect(sha256(await readFile(a!.rawPath))).toBe(file(418, '-0.txt').sha256);
    expect(b).toMatchObject({ remoteName: '5-8.txt' });
    expect(b!.sha256).toBe(file(5, '-8.txt').textSha256);
    expect(c!.sha256).toBe(file(77, '-8.zip').textSha256);
    expect(server.connections() - c0).toBe(1);
    expect(await listFiles(raw)).toEqual(['418-0.txt', '5-8.txt', '77-8.txt']);
    await mirror.close();
  });

  it('rejects the self-signed certificate by default: TLS_FAILED, permanent, with the host', async () => {
    await expectTlsFailure(server.url, { timeoutMs: 5000 }, path.join(work, 'raw-untrusted'));
  });

  it('rejects a certificate that does not chain to the CA given', async () => {
    const other = await makeSelfSignedCert();
    await expectTlsFailure(server.url, { timeoutMs: 5000, tls: { ca: other.cert } }, path.join(work, 'raw-wrong-ca'));
  });

  it('https:// to a plain HTTP server: TLS_FAILED saying the server does not speak TLS', async () => {
    const plain = await startHttpServer({ root: gen.root });
    const mirror = openMirror(plain.url.replace(/^http:/, 'https:'), { timeoutMs: 5000 });
    try {
      const err = await mirror.openSession(0).fetchBook(418, { rawDir: path.join(work, 'raw-plain'), ctx: makeCtx() }).catch((e: unknown) => e);
      expect((err as FanoutError).code).toBe('TLS_FAILED');
      expect((err as FanoutError).message).toMatch(/^TLS handshake with 127\.0\.0\.1 failed: the server does not speak TLS on this port/);
    } finally {
      await mirror.close();
      await plain.stop();
    }
  });

  it('accepts it with rejectUnauthorized: false', async () => {
    const mirror = openMirror(server.url, { timeoutMs: 5000, tls: { rejectUnauthorized: false } });
    const [a] = await fetchEach(mirror, [418], path.join(work, 'raw-insecure'));
    expect(a!.sha256).toBe(file(418, '-0.txt').textSha256);
    await mirror.close();
  });

  it('resumes a cut body with Range and If-Range over TLS', async () => {
    const mirror = openMirror(server.url, { timeoutMs: 5000, tls: { ca: cert.cert } });
    const raw = path.join(work, 'raw-resume');
    const f = file(2000, '-0.txt');
    server.hooks.cutBody('/2/0/0/2000/2000-0.txt', 100_000);
    const s = mirror.openSession(0);
    const ctx = makeCtx();
    let attempts = 0;
    const r = await withRetry(() => (attempts++, s.fetchBook(2000, { rawDir: raw, ctx })), { attempts: 3, baseDelayMs: 1, signal: ctx.signal });
    expect(attempts).toBe(2);
    expect(r.resumedFrom).toBeGreaterThan(0);
    expect(r.resumedFrom + r.transferredBytes).toBe(f.bytes);
    expect(r.sha256).toBe(f.textSha256);
    expect(server.requests.at(-1)).toMatchObject({ status: 206, range: `bytes=${r.resumedFrom}-`, ifRange: expect.stringMatching(/^"/) });
    await s.close();
    await mirror.close();
  });
});
