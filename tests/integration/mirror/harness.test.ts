import { X509Certificate, createPrivateKey } from 'node:crypto';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMirror, gutenbergDir, makeSelfSignedCert, startFtpServer, startHttpServer, startTcpProxy, type GeneratedMirror, type HttpServer } from '../../harness';
import { listFiles, removeAll, tempDir } from './helpers';

let work: string;
let gen: GeneratedMirror;
let http: HttpServer;

beforeAll(async () => {
  work = await tempDir('harness');
  gen = await generateMirror(path.join(work, 'm'), [
    { ebook: 5, files: ['-0.txt', '-8.txt', '.txt', '-0.zip', 'cache'], sizeBytes: 5_000 },
    { ebook: 12345, files: ['.txt'], plainTxtLatin1: true },
    { ebook: 6, files: [] },
  ]);
  http = await startHttpServer({ root: gen.root });
});
afterAll(async () => {
  await http?.stop();
  await removeAll(work);
});

describe('harness', () => {
  it('generates the Gutenberg layout with the markers, deterministically', async () => {
    expect(gutenbergDir(5)).toBe('0/5');
    expect(gutenbergDir(418)).toBe('4/1/418');
    expect(gutenbergDir(12345)).toBe('1/2/3/4/12345');
    expect(await listFiles(gen.root)).toEqual(['0/5/5-0.txt', '0/5/5-0.zip', '0/5/5-8.txt', '0/5/5.txt', '1/2/3/4/12345/12345.txt', 'cache/epub/5/pg5.txt']);
    const text = await readFile(path.join(gen.root, '0/5/5-0.txt'), 'utf8');
    expect(text).toContain('*** START OF THE PROJECT GUTENBERG EBOOK SYNTHETIC BOOK 5 ***');
    expect(text).toContain('*** END OF THE PROJECT GUTENBERG EBOOK SYNTHETIC BOOK 5 ***');
    expect((await stat(path.join(gen.root, '0/5/5-0.txt'))).size).toBeGreaterThan(4_500);
    const again = await generateMirror(path.join(work, 'm2'), [{ ebook: 5, files: ['-0.txt'], sizeBytes: 5_000 }]);
    expect(again.books.get(5)!.files[0]!.sha256).toBe(gen.books.get(5)!.files.find((f) => f.form === '-0.txt')!.sha256);
    const latin = await readFile(path.join(gen.root, '1/2/3/4/12345/12345.txt'));
    expect(latin.includes(0xe9) || latin.includes(0xfc)).toBe(true);
  });

  it('HTTP server: Range, 416, 404, autoindex, keep-alive, hooks', async () => {
    const f = gen.books.get(5)!.files[0]!;
    const r = await fetch(`${http.url}/0/5/5-0.txt`, { headers: { Range: 'bytes=10-19' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes 10-19/${f.bytes}`);
    expect((await r.arrayBuffer()).byteLength).toBe(10);
    expect((await fetch(`${http.url}/0/5/5-0.txt`, { headers: { Range: `bytes=${f.bytes}-` } })).status).toBe(416);
    expect((await fetch(`${http.url}/0/6/6-0.txt`)).status).toBe(404);
    expect(await (await fetch(`${http.url}/0/5/`)).text()).toContain('<a href="5-0.txt">5-0.txt</a>');
    http.hooks.failNext('/0/5/5.txt', 2, 503);
    expect([(await fetch(`${http.url}/0/5/5.txt`)).status, (await fetch(`${http.url}/0/5/5.txt`)).status, (await fetch(`${http.url}/0/5/5.txt`)).status]).toEqual([503, 503, 200]);
  });

  it('HTTP server: ETag, Last-Modified and If-Range (a stale or weak validator gets the whole file)', async () => {
    const url = `${http.url}/0/5/5-0.txt`;
    const head = await fetch(url);
    await head.arrayBuffer();
    const etag = head.headers.get('etag')!;
    const lastModified = head.headers.get('last-modified')!;
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const status = async (ifRange: string) => {
      const r = await fetch(url, { headers: { Range: 'bytes=10-', 'If-Range': ifRange } });
      await r.arrayBuffer();
      return r.status;
    };
    expect(await status(etag)).toBe(206);
    expect(await status(lastModified)).toBe(206);
    expect(await status('"stale"')).toBe(200);
    expect(await status(`W/${etag}`)).toBe(200);
    expect(await status('Sat, 01 Jan 2000 00:00:00 GMT')).toBe(200);
    expect(http.requests.at(-1)).toMatchObject({ range: 'bytes=10-', ifRange: 'Sat, 01 Jan 2000 00:00:00 GMT', status: 200 });
    const careless = await startHttpServer({ root: gen.root, etag: false, ifRange: false });
    try {
      const r = await fetch(`${careless.url}/0/5/5-0.txt`, { headers: { Range: 'bytes=10-', 'If-Range': '"stale"' } });
      await r.arrayBuffer();
      expect(r.status).toBe(206);
      expect(r.headers.get('etag')).toBeNull();
    } finally {
      await careless.stop();
    }
  });

  it('self-signed certificate for 127.0.0.1 and an HTTPS server that presents it', async () => {
    const cert = await makeSelfSignedCert();
    const x509 = new X509Certificate(cert.cert);
    expect(x509.subjectAltName).toBe('IP Address:127.0.0.1');
    expect(x509.ca).toBe(true);
    expect(x509.checkPrivateKey(createPrivateKey(cert.key))).toBe(true);
    const secure = await startHttpServer({ root: gen.root, tls: cert });
    try {
      expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((resolve, reject) => {
        const req = https.get(`${secure.url}/0/5/5-0.txt`, { ca: cert.cert }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve(text));
        });
        req.setTimeout(5000, () => req.destroy(new Error('timeout')));
        req.once('error', reject);
      });
      expect(body).toContain('SYNTHETIC BOOK 5');
      expect(secure.connections()).toBe(1);
    } finally {
      await secure.stop();
    }
  });

  it('TCP proxy adds the delay each way and counts connections', async () => {
    const proxy = await startTcpProxy({ targetPort: http.port, delayMs: 40 });
    try {
      const t0 = Date.now();
      const r = await fetch(`http://${proxy.hostPort}/0/5/5.txt`);
      await r.arrayBuffer();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(75);
      expect(proxy.stats.connections).toBe(1);
    } finally {
      await proxy.stop();
    }
  });

  it('FTP server: 220 banner, 421 past max_per_ip, stop kills the sessions', async () => {
    const ftp = await startFtpServer({ root: gen.root, maxPerIp: 1 });
    const banner = (s: net.Socket) => new Promise<string>((resolve, reject) => {
      s.once('data', (d) => resolve(d.toString()));
      s.once('error', reject);
      setTimeout(() => reject(new Error('no banner')), 3000);
    });
    const a = net.connect(ftp.port, '127.0.0.1');
    try {
      expect(await banner(a)).toMatch(/^220/);
      const b = net.connect(ftp.port, '127.0.0.1');
      expect(await banner(b)).toMatch(/^421/);
      b.destroy();
    } finally {
      await ftp.stop();
    }
    await new Promise<void>((resolve) => {
      a.once('close', () => resolve());
      setTimeout(resolve, 3000);
    });
    expect(a.destroyed || a.readableEnded).toBe(true);
    expect(() => process.kill(ftp.pid, 0)).toThrow();
  });
});
