import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { withRetry } from '../../../electron/engine/core/retry';
import { openMirror } from '../../../electron/engine/mirror';
import { generateMirror, sha256, startFtpServer, startTcpProxy, type FtpServer, type GeneratedMirror } from '../../harness';
import { FORM_BOOKS, fetchOne, generatedFile, listFiles, makeCtx, removeAll, tempDir } from './helpers';

let work: string;
let gen: GeneratedMirror;
let server: FtpServer;

const expectedText = (ebook: number, form: string) => generatedFile(gen, ebook, form);

beforeAll(async () => {
  work = await tempDir('ftp');
  gen = await generateMirror(path.join(work, 'mirror'), [
    ...FORM_BOOKS,
    { ebook: 78, files: ['.zip'], sizeBytes: 8_000, extraZipEntries: [{ name: '../evil.txt', data: Buffer.from('pwned') }, { name: '/tmp/abs-evil.txt', data: Buffer.from('pwned') }] },
    { ebook: 79, files: ['-0.zip'], sizeBytes: 8_000, extraZipEntries: [] },
    { ebook: 900, files: [] },
    { ebook: 901, files: ['cache'] },
    // Over 2 MiB: its `.part.meta` is written when it starts, with MDTM (a part can be resumed).
    { ebook: 2000, files: ['-0.txt'], sizeBytes: 2_300_000 },
  ]);
  server = await startFtpServer({ root: gen.root });
});

afterAll(async () => {
  await server?.stop();
  await removeAll(work);
});

describe('FTP mirror', () => {
  it('fetches the -0 form when present, then -8, then .txt (Latin-1 bytes kept as is)', async () => {
    const mirror = openMirror(server.url, { timeoutMs: 5000 });
    const raw = path.join(work, 'raw-forms');
    const a = await fetchOne(mirror, 418, raw);
    expect(a).toMatchObject({ remoteName: '418-0.txt', encodingHint: 'utf-8', fromZip: false, resumedFrom: 0 });
    expect(a.sha256).toBe(expectedText(418, '-0.txt').textSha256);
    expect(a.rawPath).toBe(path.join(raw, '418-0.txt'));
    expect(sha256(await readFile(a.rawPath))).toBe(a.sha256);
    expect(a.url).toBe(`${server.url}/4/1/418/418-0.txt`);

    const b = await fetchOne(mirror, 5, raw);
    expect(b).toMatchObject({ remoteName: '5-8.txt', encodingHint: 'latin-1' });
    expect(b.sha256).toBe(expectedText(5, '-8.txt').textSha256);

    const c = await fetchOne(mirror, 12345, raw);
    expect(c).toMatchObject({ remoteName: '12345.txt', encodingHint: 'unknown' });
    const bytes = await readFile(c.rawPath);
    expect(bytes.includes(Buffer.from('caf\xe9', 'latin1'))).toBe(true);
    expect(c.sha256).toBe(expectedText(12345, '.txt').textSha256);
    expect(await listFiles(raw)).toEqual(['12345.txt', '418-0.txt', '5-8.txt']);
    await mirror.close();
  });

  it('unzips a zip-only book as a stream', async () => {
    const mirror = openMirror(server.url, { timeoutMs: 5000 });
    const raw = path.join(work, 'raw-zip');
    const r = await fetchOne(mirror, 77, raw);
    expect(r).toMatchObject({ remoteName: '77-8.zip', fromZip: true, encodingHint: 'latin-1' });
    expect(r.sha256).toBe(expectedText(77, '-8.zip').textSha256);
    expect(r.bytes).toBe(expectedText(77, '-8.zip').text.length);
    expect(await listFiles(raw)).toEqual(['77-8.txt']);
  });

  it('never writes a zip entry named ../evil.txt or /abs outside rawDir', async () => {
    const mirror = openMirror(server.url, { timeoutMs: 5000 });
    const base = path.join(work, 'evil');
    const raw = path.join(base, 'a', 'raw');
    const r = await fetchOne(mirror, 78, raw);
    expect(r.remoteName).toBe('78.zip');
    expect(r.sha256).toBe(expectedText(78, '.zip').textSha256);
    expect(await listFiles(base)).toEqual(['a/raw/78.txt']);
  });

  it('reports BOOK_NOT_FOUND (permanent) for a missing book and for cache-only books', async () => {
    const mirror = openMirror(server.url, { timeoutMs: 5000 });
    const s = mirror.openSession(0);
    const raw = path.join(work, 'raw-missing');
    for (const ebook of [900, 901]) {
      const err = await s.fetchBook(ebook, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FanoutError);
      expect((err as FanoutError).code).toBe('BOOK_NOT_FOUND');
      expect((err as FanoutError).retryable).toBe(false);
      expect((err as FanoutError).context).toMatchObject({ ebook, host: '127.0.0.1' });
    }
    // The session still works after a miss.
    await expect(s.fetchBook(418, { rawDir: raw, ctx: makeCtx() })).resolves.toMatchObject({ remoteName: '418-0.txt' });
    await s.close();
  });

  it('logs in once for many books (one control connection, one login)', async () => {
    const proxy = await startTcpProxy({ targetPort: server.port, ftp: true });
    try {
      const before = await server.countLogins();
      const mirror = openMirror(`ftp://${proxy.hostPort}`, { timeoutMs: 5000 });
      const s = mirror.openSession(0);
      const raw = path.join(work, 'raw-reuse');
      for (const ebook of [418, 5, 12345, 77, 2000]) await s.fetchBook(ebook, { rawDir: raw, ctx: makeCtx() });
      await s.fetchBook(900, { rawDir: raw, ctx: makeCtx() }).catch(() => {});
      await s.fetchBook(418, { rawDir: path.join(work, 'raw-reuse2'), ctx: makeCtx() });
      expect(proxy.stats.connections).toBe(1);
      expect(proxy.stats.dataConnections).toBe(6);
      await s.close();
      // vsftpd writes its log asynchronously: poll briefly (bounded).
      let logins = 0;
      for (let i = 0; i < 40 && logins - before < 1; i++) {
        logins = await server.countLogins();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(logins - before).toBe(1);
    } finally {
      await proxy.stop();
    }
  });

  it('resumes a .part after the data connection is cut mid-transfer', async () => {
    const proxy = await startTcpProxy({ targetPort: server.port, ftp: true, dropAfterBytes: 150_000, dropTimes: 1 });
    try {
      const mirror = openMirror(`ftp://${proxy.hostPort}`, { timeoutMs: 5000 });
      const s = mirror.openSession(0);
      const raw = path.join(work, 'raw-resume');
      const file = expectedText(2000, '-0.txt');
      const first = await s.fetchBook(2000, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(FanoutError);
      expect((first as FanoutError).retryable).toBe(true);
      // The part, and what the listing said about the remote file when it was started.
      expect(await listFiles(raw)).toEqual(['2000-0.txt.part', '2000-0.txt.part.meta']);
      const second = await s.fetchBook(2000, { rawDir: raw, ctx: makeCtx() });
      expect(second.resumedFrom).toBeGreaterThan(0);
      expect(second.transferredBytes).toBeLessThan(file.bytes);
      expect(second.resumedFrom + second.transferredBytes).toBe(file.bytes);
      expect(second.sha256).toBe(file.textSha256);
      expect(await listFiles(raw)).toEqual(['2000-0.txt']);
      await s.close();
    } finally {
      await proxy.stop();
    }
  });

  it('resumes a zip download too (raw .part replayed into the unzipper)', async () => {
    const proxy = await startTcpProxy({ targetPort: server.port, ftp: true, dropAfterBytes: 3_000, dropTimes: 1 });
    try {
      const mirror = openMirror(`ftp://${proxy.hostPort}`, { timeoutMs: 5000 });
      const s = mirror.openSession(0);
      const raw = path.join(work, 'raw-resume-zip');
      const file = expectedText(77, '-8.zip');
      const ctx = makeCtx();
      const r = await withRetry(() => s.fetchBook(77, { rawDir: raw, ctx }), { attempts: 3, baseDelayMs: 1, signal: ctx.signal });
      // A zip under 2 MiB, not a guessed `N-0.txt`: its transfer asked MDTM in the same write, so its
      // part's meta records the time to the second, asked again before REST (ftp-small-part-mdtm.test.ts).
      expect(r.resumedFrom).toBeGreaterThan(0);
      expect(r.resumedFrom + r.transferredBytes).toBe(file.bytes);
      expect(r.sha256).toBe(file.textSha256);
      expect(await listFiles(raw)).toEqual(['77-8.txt']);
      await s.close();
    } finally {
      await proxy.stop();
    }
  });

  it('recovers by itself after the control connection is cut', async () => {
    const proxy = await startTcpProxy({ targetPort: server.port, ftp: true });
    try {
      const mirror = openMirror(`ftp://${proxy.hostPort}`, { timeoutMs: 5000 });
      const s = mirror.openSession(0);
      const raw = path.join(work, 'raw-recover');
      await s.fetchBook(418, { rawDir: raw, ctx: makeCtx() });
      proxy.cutAll();
      const ctx = makeCtx();
      const r = await withRetry(() => s.fetchBook(5, { rawDir: raw, ctx }), { attempts: 3, baseDelayMs: 1, signal: ctx.signal });
      expect(r.remoteName).toBe('5-8.txt');
      expect(proxy.stats.connections).toBe(2);
      await s.close();
    } finally {
      await proxy.stop();
    }
  });

  it('answers TOO_MANY_CONNECTIONS (retryable) past max_per_ip', async () => {
    const small = await startFtpServer({ root: gen.root, maxPerIp: 3 });
    try {
      const mirror = openMirror(small.url, { timeoutMs: 5000 });
      const raw = path.join(work, 'raw-421');
      const sessions = [0, 1, 2, 3].map((i) => mirror.openSession(i));
      const results = [];
      for (const s of sessions) results.push(await s.fetchBook(5, { rawDir: raw, ctx: makeCtx() }).catch((e: unknown) => e));
      const errors = results.filter((r) => r instanceof FanoutError) as FanoutError[];
      expect(errors).toHaveLength(1);
      expect(errors[0]!.code).toBe('TOO_MANY_CONNECTIONS');
      expect(errors[0]!.retryable).toBe(true);
      await mirror.close();
    } finally {
      await small.stop();
    }
  });

  it('honours the abort signal and reconnects afterwards', async () => {
    const proxy = await startTcpProxy({ targetPort: server.port, ftp: true, delayMs: 30 });
    try {
      const mirror = openMirror(`ftp://${proxy.hostPort}`, { timeoutMs: 5000 });
      const s = mirror.openSession(0);
      const raw = path.join(work, 'raw-abort');
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const err = await s.fetchBook(2000, { rawDir: raw, ctx: makeCtx(ac.signal) }).catch((e: unknown) => e);
      expect((err as FanoutError).code).toBe('ABORTED');
      proxy.setDelay(0);
      await expect(s.fetchBook(5, { rawDir: raw, ctx: makeCtx() })).resolves.toMatchObject({ remoteName: '5-8.txt' });
      await s.close();
    } finally {
      await proxy.stop();
    }
  });

  it('maps a 550 on RETR to FTP_NOT_FOUND (permanent)', async () => {
    const { mapFtpError } = await import('../../../electron/engine/mirror/ftp-errors');
    const { Client } = await import('basic-ftp');
    const c = new Client(5000);
    try {
      await c.access({ host: '127.0.0.1', port: server.port });
      const e = await c.downloadTo(path.join(work, 'nope'), '/4/1/418/nope.txt').catch((x: unknown) => x);
      const err = mapFtpError(e, 'transfer', { ebook: 418 });
      expect(err.code).toBe('FTP_NOT_FOUND');
      expect(err.retryable).toBe(false);
    } finally {
      c.close();
    }
  });
});
