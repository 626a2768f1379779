import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import type { JobEvent, JobSummary } from '../../../shared/events';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror } from '../../../electron/engine/mirror';
import { freePort, generateMirror, startFtpServerOf, startTcpProxy, type FtpServer, type GeneratedMirror } from '../../harness';
import { makeCtx, removeAll, tempDir } from './helpers';

/**
 * Fail fast: a mirror that refuses the login or cannot be reached stops the job with one message
 * naming the cause and the URL; the books are not tried one by one, none is recorded as failed
 * (they stay pending), and a re-run against a working mirror fetches them all. Bounded by the
 * attempts a job would otherwise make: without the stop, 12 books x 4 attempts of a delayed 530.
 */
const BOOKS = Array.from({ length: 12 }, (_, i) => 2000 + i);
let work: string;
let gen: GeneratedMirror;
let catalogPath: string;
let pure: FtpServer;

beforeAll(async () => {
  work = await tempDir('fail-fast');
  gen = await generateMirror(path.join(work, 'mirror'), BOOKS.map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: 5_000 })));
  catalogPath = path.join(work, 'catalog.csv');
  const rows = BOOKS.map((e) => `${e},Text,2000-01-01,"Book ${e}",en,"Author, Test",Fiction,PR,Shelf`);
  await writeFile(catalogPath, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...rows, ''].join('\n'));
  pure = await startFtpServerOf('pure-ftpd', { root: gen.root });
});
afterAll(async () => {
  await pure?.stop();
  await removeAll(work);
});

async function job(mirror: string, outDir: string): Promise<{ summary: JobSummary; events: JobEvent[] }> {
  const events: JobEvent[] = [];
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: catalogPath, mirror, outDir, workers: 4, strategy: 'adaptive', attempts: 4, timeoutMs: 10_000, selection: {} });
  const summary = await runGutenbergJob(spec, createJobControl((e) => events.push(e)));
  return { summary, events };
}

/** The job stopped on one job-level error, no book failed on its own, nothing in the manifest. */
async function expectStopped(r: { summary: JobSummary; events: JobEvent[] }, outDir: string, code: string, url: RegExp): Promise<void> {
  expect(r.summary.status).toBe('failed');
  expect(r.summary.itemsDone).toBe(0);
  expect(r.summary.itemsFailed).toBe(0);
  expect(r.summary.failures).toHaveLength(1);
  expect(r.summary.failures[0]!.item).toBe('(job)');
  expect(r.summary.failures[0]!.error.code).toBe(code);
  expect(r.summary.failures[0]!.error.message).toMatch(url);
  expect(r.events.filter((e) => e.kind === 'job:item-failed')).toEqual([]);
  const manifest = existsSync(path.join(outDir, 'manifest.jsonl')) ? await readFile(path.join(outDir, 'manifest.jsonl'), 'utf8') : '';
  expect(manifest.trim()).toBe('');
}

describe('fail fast', () => {
  it('a wrong FTP password (pure-ftpd delays each 530) stops the job with one AUTH_FAILED; a re-run with the right one fetches every book', async () => {
    const outDir = path.join(work, 'wrong-password');
    const wrong = pure.url.replace(/:[^:@/]*@/, ':not-the-password@');
    const r = await job(wrong, outDir);
    await expectStopped(r, outDir, 'AUTH_FAILED', /ftp:\/\/fanout:\*\*\*@127\.0\.0\.1:\d+/);
    expect(r.summary.failures[0]!.error.message).not.toContain('not-the-password');
    expect(r.summary.failures[0]!.error.context.ebook).toBeUndefined();

    const again = await job(pure.url, outDir);
    expect(again.summary.status).toBe('succeeded');
    expect(again.summary.itemsDone).toBe(BOOKS.length);
  });

  it.each(['ftp', 'http'] as const)('%s: connection refused stops the job with one CONNECTION_REFUSED', async (scheme) => {
    const port = await freePort(); // nothing listens there
    const outDir = path.join(work, `refused-${scheme}`);
    const r = await job(`${scheme}://127.0.0.1:${port}/`, outDir);
    await expectStopped(r, outDir, 'CONNECTION_REFUSED', new RegExp(`${scheme}://127\\.0\\.0\\.1:${port}`));
  });

  it.each(['ftp', 'http'] as const)('%s: a host name that does not resolve stops the job with one DNS_FAILED', async (scheme) => {
    const outDir = path.join(work, `dns-${scheme}`);
    const r = await job(`${scheme}://mirror.invalid/gutenberg`, outDir); // .invalid never resolves (RFC 2606)
    await expectStopped(r, outDir, 'DNS_FAILED', new RegExp(`${scheme}://mirror\\.invalid/gutenberg`));
  });

  it('the CLI prints one line naming the cause and the URL, and exits 1', async () => {
    const repo = path.resolve(__dirname, '../../..');
    const wrong = pure.url.replace(/:[^:@/]*@/, ':nope@');
    const outDir = path.join(work, 'cli-wrong');
    const r = await new Promise<{ code: number; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [path.join(repo, 'bin', 'fanout.js'), 'gutenberg', '--catalog', catalogPath, '--mirror', wrong, '--workers', '4', '--out', outDir, '--attempts', '4'],
        { cwd: repo, env: { ...process.env, FANOUT_FROM_SOURCE: '1' }, timeout: 60_000 },
        (err, _stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
      );
    });
    expect(r.code).toBe(1);
    const failed = r.stderr.split('\n').filter((l) => l.includes('AUTH_FAILED'));
    expect(failed, r.stderr).toHaveLength(1);
    expect(failed[0]).toMatch(/\(job\): AUTH_FAILED: ftp:\/\/fanout:\*\*\*@127\.0\.0\.1:\d+.*530/);
    expect(r.stderr).not.toContain('nope');
  });
});

describe('a connection closed during login', () => {
  it('is the server\'s session limit while other sessions of the job are logged in, a reset otherwise', async () => {
    const server = await startFtpServerOf('vsftpd', { root: gen.root });
    const proxy = await startTcpProxy({ targetPort: server.port, ftp: true });
    const mirror = openMirror(server.urlVia(proxy.hostPort), { timeoutMs: 5000 });
    try {
      const first = mirror.openSession(0);
      await first.fetchBook(BOOKS[0]!, { rawDir: path.join(work, 'login-cut'), ctx: makeCtx() });
      // From now on control connections are cut after 10 bytes (inside the banner).
      proxy.setDrop({ afterBytes: 10, times: 2, on: 'control' });
      const second = mirror.openSession(1);
      const limited = await second.fetchBook(BOOKS[1]!, { rawDir: path.join(work, 'login-cut'), ctx: makeCtx() }).catch((e: unknown) => e);
      expect(limited).toBeInstanceOf(FanoutError);
      expect((limited as FanoutError).code).toBe('TOO_MANY_CONNECTIONS');
      await first.close(); // nobody logged in any more: the same cut is a network fault
      const alone = await second.fetchBook(BOOKS[1]!, { rawDir: path.join(work, 'login-cut'), ctx: makeCtx() }).catch((e: unknown) => e);
      expect((alone as FanoutError).code).toBe('CONNECTION_RESET');
      await second.close();
    } finally {
      await mirror.close();
      await proxy.stop();
      await server.stop();
    }
  });
});
