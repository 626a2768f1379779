import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema, type GutenbergJobInput } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import { makeSelfSignedCert, startHttpServer, type HttpServer, type MirrorBookSpec } from '../../harness';
import { startTinyproxy, type TinyproxyServer } from '../../harness/tinyproxy-server';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';
import { expectFixtureBooksExact, runFixtureJob } from '../gutenberg/fixture-job';

// Every form the job handles (plain, Latin-1, zipped) and a missing one, through a real proxy.
const BOOKS: MirrorBookSpec[] = [
  { ebook: 1001, files: ['-0.txt', '-8.txt'], title: 'Two forms' },
  { ebook: 1002, files: ['-8.txt'], title: 'Latin one' },
  { ebook: 1004, files: ['-0.zip'], title: 'Zipped' },
  { ebook: 1005, files: [], title: 'Missing' },
  ...Array.from({ length: 6 }, (_, i): MirrorBookSpec => ({ ebook: 2000 + i, files: ['-0.txt'], title: `Filler ${i}`, sizeBytes: 40_000 + i * 9_000 })),
];

let fx: GutenbergFixture;
let proxy: TinyproxyServer;
let https: HttpServer;
let caFile: string;
const saved = { ...process.env };
beforeAll(async () => {
  fx = await startGutenbergFixture(BOOKS);
  proxy = await startTinyproxy();
  const cert = await makeSelfSignedCert();
  https = await startHttpServer({ root: fx.mirror.root, tls: cert });
  caFile = join(fx.dir, 'ca.pem');
  await writeFile(caFile, cert.cert);
});
afterAll(async () => {
  await Promise.allSettled([proxy?.stop(), https?.stop()]);
  await fx?.cleanup();
});
afterEach(() => {
  for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

const run = (name: string, input: Partial<GutenbergJobInput>) => runFixtureJob(fx, name, input);
const expectByteExact = (manifest: ManifestEntry[]) => expectFixtureBooksExact(fx, BOOKS, manifest);

const tunnelsTo = async (port: number) => (await proxy.log()).split('\n').filter((l) => l.includes(`CONNECT 127.0.0.1:${port} `)).length;

describe('http(s) mirrors through an HTTP proxy (tinyproxy)', () => {
  it('http:// with the proxy set on the job: byte-exact, every connection tunnelled through it', async () => {
    const before = await tunnelsTo(fx.http.port);
    fx.http.requests.length = 0;
    const { summary, manifest } = await run('proxy-http', { mirror: `http://127.0.0.1:${fx.http.port}/`, proxy: proxy.url });
    expect(summary.itemsDone).toBe(BOOKS.length - 1);
    expectByteExact(manifest);
    // As many tunnels as the server saw connections: none went around the proxy.
    const connections = new Set(fx.http.requests.map((r) => r.connection)).size;
    expect(connections).toBeGreaterThanOrEqual(1);
    expect((await tunnelsTo(fx.http.port)) - before).toBe(connections);
  });

  it('https:// through HTTPS_PROXY from the environment: TLS inside the tunnel, the mirror certificate still checked', async () => {
    process.env.HTTPS_PROXY = proxy.url;
    const { summary, manifest } = await run('proxy-https', { mirror: `https://127.0.0.1:${https.port}/`, mirrorTls: { allowUntrustedCert: false, caFile } });
    expect(summary.itemsDone).toBe(BOOKS.length - 1);
    expectByteExact(manifest);
    expect(await tunnelsTo(https.port)).toBeGreaterThanOrEqual(1);
    // Without the CA the same tunnel ends in a certificate failure: the proxy did not weaken the check.
    const events: unknown[] = [];
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, outDir: join(fx.dir, 'proxy-https-untrusted'), mirror: `https://127.0.0.1:${https.port}/`, selection: { ids: [{ from: 2000, to: 2000 }] } });
    const untrusted = await runGutenbergJob(spec, createJobControl((e) => events.push(e)));
    expect(untrusted).toMatchObject({ status: 'failed', itemsDone: 0 });
    expect(JSON.stringify(events)).toMatch(/TLS_FAILED/);
  });

  it('NO_PROXY sends the host direct (the proxy sees no tunnel), and proxy none ignores the environment', async () => {
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = 'example.org, 127.0.0.1';
    const before = await tunnelsTo(fx.http.port);
    const direct = await run('no-proxy', { mirror: `http://127.0.0.1:${fx.http.port}/` });
    expect(direct.summary.itemsDone).toBe(BOOKS.length - 1);
    delete process.env.NO_PROXY;
    const none = await run('proxy-none', { mirror: `http://127.0.0.1:${fx.http.port}/`, proxy: 'none' });
    expect(none.summary.itemsDone).toBe(BOOKS.length - 1);
    expect(await tunnelsTo(fx.http.port)).toBe(before);
  });

  it('a proxy that refuses the tunnel (CONNECT only to 443, as most do) stops the job saying so', async () => {
    const strict = await startTinyproxy({ connectPorts: [443] });
    try {
      const events: unknown[] = [];
      const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, outDir: join(fx.dir, 'proxy-refused'), mirror: `http://127.0.0.1:${fx.http.port}/`, proxy: strict.url, attempts: 2, timeoutMs: 5000 });
      const summary = await runGutenbergJob(spec, createJobControl((e) => events.push(e)));
      expect(summary).toMatchObject({ status: 'failed', itemsDone: 0, itemsFailed: 0 }); // stopped at once, the books left pending
      expect(summary.failures).toEqual([expect.objectContaining({ item: '(job)', error: expect.objectContaining({ code: 'CONNECTION_REFUSED' }) })]);
      expect(JSON.stringify(events)).toMatch(/refused the tunnel to 127\.0\.0\.1:\d+: HTTP 403.*many proxies tunnel only to port 443/);
    } finally {
      await strict.stop();
    }
  });

  it('an FTP mirror with a proxy is refused with a clear error, before connecting', async () => {
    await expect(run('proxy-ftp', { mirror: `ftp://127.0.0.1:${fx.ftp.port}/`, proxy: proxy.url })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/FTP mirrors cannot go through a proxy/),
    });
  });
});
