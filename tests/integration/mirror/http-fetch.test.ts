import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { withRetry } from '../../../electron/engine/core/retry';
import { openMirror, type Mirror } from '../../../electron/engine/mirror';
import { generateMirror, sha256, startHttpServer, startTcpProxy, type GeneratedMirror, type HttpServer } from '../../harness';
import { FORM_BOOKS, fetchOne, generatedFile, listFiles, makeCtx, removeAll, tempDir } from './helpers';

let work: string;
let gen: GeneratedMirror;
let server: HttpServer;
let mirror: Mirror;

const file = (ebook: number, form: string) => generatedFile(gen, ebook, form);

beforeAll(async () => {
  work = await tempDir('http');
  gen = await generateMirror(path.join(work, 'mirror'), [
    ...FORM_BOOKS,
    { ebook: 78, files: ['.zip'], sizeBytes: 8_000, extraZipEntries: [{ name: '../evil.txt', data: Buffer.from('pwned') }] },
    { ebook: 900, files: [] },
    { ebook: 901, files: ['cache'], sizeBytes: 9_000 },
    { ebook: 2000, files: ['-0.txt'], sizeBytes: 600_000 },
  ]);
  server = await startHttpServer({ root: gen.root });
  mirror = openMirror(server.url, { timeoutMs: 5000 });
});

afterAll(async () => {
  await mirror?.close();
  await server?.stop();
  await removeAll(work);
});

beforeEach(() => server.hooks.clear());

describe('HTTP mirror', () => {
  it('fetches -0 with one request, and -8 / .txt (Latin-1) / zip via the folder index', async () => {
    const raw = path.join(work, 'raw-forms');
    const n0 = server.requests.length;
    const a = await fetchOne(mirror, 418, raw);
    expect(a).toMatchObject({ remoteName: '418-0.txt', encodingHint: 'utf-8', fromZip: false });
    expect(a.sha256).toBe(file(418, '-0.txt').textSha256);
    expect(server.requests.length - n0).toBe(1);

    const n1 = server.requests.length;
    const b = await fetchOne(mirror, 5, raw);
    expect(b).toMatchObject({ remoteName: '5-8.txt', encodingHint: 'latin-1' });
    expect(b.sha256).toBe(file(5, '-8.txt').textSha256);
    expect(server.requests.slice(n1).map((r) => `${r.status} ${r.path}`)).toEqual(['404 /0/5/5-0.txt', '200 /0/5/', '200 /0/5/5-8.txt']);

    const c = await fetchOne(mirror, 12345, raw);
    expect(c).toMatchObject({ remoteName: '12345.txt', encodingHint: 'unknown' });
    expect((await readFile(c.rawPath)).includes(Buffer.from('caf\xe9', 'latin1'))).toBe(true);
    expect(c.sha256).toBe(file(12345, '.txt').textSha256);

    const d = await fetchOne(mirror, 77, raw);
    expect(d).toMatchObject({ remoteName: '77-8.zip', fromZip: true });
    expect(d.sha256).toBe(file(77, '-8.zip').textSha256);
    expect(sha256(await readFile(d.rawPath))).toBe(d.sha256);
    expect(await listFiles(raw)).toEqual(['12345.txt', '418-0.txt', '5-8.txt', '77-8.txt']);
  });

  it('falls back to cache/epub/N/pgN.txt, and says BOOK_NOT_FOUND when nothing exists', async () => {
    const raw = path.join(work, 'raw-cache');
    const r = await fetchOne(mirror, 901, raw);
    expect(r).toMatchObject({ remoteName: 'pg901.txt', encodingHint: 'utf-8' });
    expect(r.sha256).toBe(file(901, 'cache').textSha256);
    expect(r.url).toBe(`${server.url}/cache/epub/901/pg901.txt`);
    const err = await fetchOne(mirror, 900, raw).catch((e: unknown) => e);
    expect((err as FanoutError).code).toBe('BOOK_NOT_FOUND');
    expect((err as FanoutError).retryable).toBe(false);
    expect((err as FanoutError).context).toMatchObject({ ebook: 900, host: '127.0.0.1', path: '/9/0/900/' });
    expect((err as FanoutError).message).toBe('No text file of ebook 900 in /9/0/900/ on 127.0.0.1');
  });

  it('names the folder it looked in, under the mirror URL\'s own path (a wrong root reads as one)', async () => {
    const wrong = openMirror(`${server.url}/not-the-root/`, { timeoutMs: 5000 });
    try {
      const err = await fetchOne(wrong, 418, path.join(work, 'raw-wrong-root')).catch((e: unknown) => e);
      expect((err as FanoutError).code).toBe('BOOK_NOT_FOUND');
      // It said '/4/1/418/' and 'on 127.0.0.1': the path the mirror URL added was nowhere.
      expect((err as FanoutError).context).toMatchObject({ ebook: 418, path: '/not-the-root/4/1/418/' });
      expect((err as FanoutError).message).toBe('No text file of ebook 418 in /not-the-root/4/1/418/ on 127.0.0.1');
    } finally {
      await wrong.close();
    }
  });

  it('guesses every form in turn when the server has no folder index', async () => {
    const plain = await startHttpServer({ root: gen.root, autoindex: false });
    const m = openMirror(plain.url, { timeoutMs: 5000 });
    try {
      const raw = path.join(work, 'raw-noindex');
      expect(await fetchOne(m, 12345, raw)).toMatchObject({ remoteName: '12345.txt' });
      expect(await fetchOne(m, 901, raw)).toMatchObject({ remoteName: 'pg901.txt' });
    } finally {
      await m.close();
      await plain.stop();
    }
  });

  it('reuses one keep-alive connection per session', async () => {
    const s = mirror.openSession(3);
    const raw = path.join(work, 'raw-keepalive');
    const c0 = server.connections();
    for (const ebook of [418, 5, 12345, 77, 2000]) await s.fetchBook(ebook, { rawDir: raw, ctx: makeCtx() });
    expect(server.connections() - c0).toBe(1);
    await s.close();
  });

  it('treats 503 as retryable and 404/403 as permanent', async () => {
    const raw = path.join(work, 'raw-status');
    const s = mirror.openSession(0);
    server.hooks.failNext('/4/1/418/418-0.txt', 1, 503);
    const e503 = await s.fetchBook(418, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
    expect((e503 as FanoutError).code).toBe('HTTP_TRANSIENT');
    expect((e503 as FanoutError).retryable).toBe(true);
    expect((e503 as FanoutError).detail.httpStatus).toBe(503);
    await expect(s.fetchBook(418, { rawDir: raw, ctx: makeCtx() })).resolves.toMatchObject({ remoteName: '418-0.txt' });

    server.hooks.failNext('/4/1/418/418-0.txt', 1, 429);
    const ctx = makeCtx();
    await expect(withRetry(() => s.fetchBook(418, { rawDir: raw, ctx }), { attempts: 3, baseDelayMs: 1, signal: ctx.signal })).resolves.toMatchObject({ remoteName: '418-0.txt' });

    server.hooks.failNext('/4/1/418/418-0.txt', 1, 403);
    const e403 = await s.fetchBook(418, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
    expect((e403 as FanoutError).code).toBe('HTTP_PERMANENT');
    expect((e403 as FanoutError).retryable).toBe(false);
    expect((e403 as FanoutError).detail.httpStatus).toBe(403);
    // Any one file (the catalog's fetchFile): its status as data too, a 404 as a 403.
    const dest = path.join(work, 'status-file');
    for (const status of [404, 403]) {
      server.hooks.failNext('/GUTINDEX.ALL', 1, status);
      const e = await s.fetchFile('GUTINDEX.ALL', { dest }).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: status === 404 ? 'HTTP_NOT_FOUND' : 'HTTP_PERMANENT', detail: { httpStatus: status } });
    }
    await s.close();
  });

  it('resumes a .part with Range after the body is cut mid-transfer', async () => {
    const raw = path.join(work, 'raw-resume');
    const f = file(2000, '-0.txt');
    server.hooks.cutBody('/2/0/0/2000/2000-0.txt', 250_000);
    const s = mirror.openSession(0);
    const first = await s.fetchBook(2000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(FanoutError);
    expect((first as FanoutError).retryable).toBe(true);
    // The part, and the validators (ETag, Last-Modified) of the file it was started from.
    expect(await listFiles(raw)).toEqual(['2000-0.txt.part', '2000-0.txt.part.meta']);
    const second = await s.fetchBook(2000, { rawDir: raw, ctx: makeCtx() });
    // What was on disk when the cut hit (at most the 250,000 bytes sent) is kept and resumed.
    expect(second.resumedFrom).toBeGreaterThan(0);
    expect(second.resumedFrom).toBeLessThanOrEqual(250_000);
    expect(second.transferredBytes).toBe(f.bytes - second.resumedFrom);
    expect(second.sha256).toBe(f.textSha256);
    const last = server.requests.at(-1)!;
    // The resume names the file it continues: the ETag recorded when the part was started.
    expect(last).toMatchObject({ status: 206, range: `bytes=${second.resumedFrom}-`, ifRange: expect.stringMatching(/^"[0-9a-f]+-[0-9a-f]+"$/) });
    expect(await listFiles(raw)).toEqual(['2000-0.txt']);
    await s.close();
  });

  it('resumes through a proxy that drops the connection (session reconnects by itself)', async () => {
    const proxy = await startTcpProxy({ targetPort: server.port, dropAfterBytes: 100_000, dropTimes: 1 });
    const m = openMirror(`http://${proxy.hostPort}`, { timeoutMs: 5000 });
    try {
      const raw = path.join(work, 'raw-resume-proxy');
      const f = file(2000, '-0.txt');
      const s = m.openSession(0);
      const ctx = makeCtx();
      let attempts = 0;
      const r = await withRetry(() => (attempts++, s.fetchBook(2000, { rawDir: raw, ctx })), { attempts: 3, baseDelayMs: 1, signal: ctx.signal });
      expect(attempts).toBe(2);
      expect(r.resumedFrom).toBeGreaterThan(0);
      expect(r.transferredBytes).toBeLessThan(f.bytes);
      expect(r.sha256).toBe(f.textSha256);
      expect(proxy.stats.connections).toBe(2);
    } finally {
      await m.close();
      await proxy.stop();
    }
  });

  it('restarts cleanly when the server ignores Range (200 to a resume)', async () => {
    const raw = path.join(work, 'raw-norange');
    const f = file(418, '-0.txt');
    server.hooks.cutBody('/4/1/418/418-0.txt', 10_000);
    const s = mirror.openSession(0);
    await s.fetchBook(418, { rawDir: raw, ctx: makeCtx() }).catch(() => {});
    // A server without Range support answers 200 with the whole file: simulate with a fixed body.
    server.hooks.respondWith('/4/1/418/418-0.txt', f.text, 'text/plain');
    const r = await s.fetchBook(418, { rawDir: raw, ctx: makeCtx() });
    expect(r.resumedFrom).toBe(0);
    expect(r.sha256).toBe(f.textSha256);
    await s.close();
  });

  it('cannot be steered outside rawDir by a zip entry, a hostile index or a redirect', async () => {
    const base = path.join(work, 'evil');
    const raw = path.join(base, 'x', 'raw');
    const z = await fetchOne(mirror, 78, raw);
    expect(z.sha256).toBe(file(78, '.zip').textSha256);

    server.hooks.respondWith(
      '/0/5/',
      '<a href="../evil.txt">x</a><a href="/etc/passwd">x</a><a href="..%2F..%2F5-8.txt">x</a><a href="http://evil/5-8.txt">x</a><a href="C:%5Cwin.txt">x</a><a href="5-8.txt">ok</a>',
    );
    const b = await fetchOne(mirror, 5, raw);
    expect(b.remoteName).toBe('5-8.txt');

    server.hooks.redirect('/0/5/5-8.txt', '/../../../../x/../evil.txt');
    server.hooks.respondWith('/evil.txt', 'evil', 'text/plain');
    const c = await fetchOne(mirror, 5, path.join(raw, 'again'));
    expect(c.rawPath).toBe(path.join(raw, 'again', '5-8.txt'));
    expect(await listFiles(base)).toEqual(['x/raw/5-8.txt', 'x/raw/78.txt', 'x/raw/again/5-8.txt']);
  });

  it('honours the abort signal', async () => {
    const proxy = await startTcpProxy({ targetPort: server.port, delayMs: 40 });
    const m = openMirror(`http://${proxy.hostPort}`, { timeoutMs: 5000 });
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 60);
      const s = m.openSession(0);
      const err = await s.fetchBook(2000, { rawDir: path.join(work, 'raw-abort'), ctx: makeCtx(ac.signal) }).catch((e: unknown) => e);
      expect((err as FanoutError).code).toBe('ABORTED');
    } finally {
      await m.close();
      await proxy.stop();
    }
  });
});
