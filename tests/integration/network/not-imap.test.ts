/**
 * `fanout mail` pointed at a port that is not IMAP. vsftpd's FTP port greets "220 ...": the job
 * fails at once with one error quoting that line and naming host:port, instead of waiting out the
 * greeting timeout (TIMEOUT "did not answer in time" after 30 s: imapflow skipped the line as an
 * unknown tagged answer). An HTTP server says nothing until it gets a request: a first run (imapflow
 * writes nothing before the greeting) gets silence, a TIMEOUT after the greeting timeout (the user's
 * timeout, at most 30 s) that says no IMAP greeting came; a run of an account archived before on
 * loopback (the quick listing writes LOGIN before the greeting) gets HTTP's answer to it, quoted.
 * One error, no retry, and the output folder is left as it was.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import type { MailAccount } from '../../../shared/job-spec';
import type { JobSummary } from '../../../shared/events';
import { startFtpServer, startHttpServer, type FtpServer, type HttpServer } from '../../harness';

let base: string;
let ftp: FtpServer;
let http: HttpServer;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'fanout-not-imap-'));
  mkdirSync(join(base, 'served'));
  ftp = await startFtpServer({ root: join(base, 'served') });
  http = await startHttpServer({ root: join(base, 'served') });
}, 60_000);
afterAll(async () => {
  await Promise.allSettled([ftp?.stop(), http?.stop()]);
  await rm(base, { recursive: true, force: true });
});

function accountAt(port: number): MailAccount {
  return { host: '127.0.0.1', port, tls: 'none', allowUntrustedCert: false, user: 'someone', auth: { method: 'password', password: 'pw' } };
}

async function run(outDir: string, port: number, timeoutMs: number): Promise<JobSummary> {
  return runMailJob({ kind: 'mail', account: accountAt(port), outDir, connections: 2, strategy: 'queue', folders: 'all', timeoutMs }, createJobControl(() => {}));
}

function jobError(summary: JobSummary) {
  expect(summary.status).toBe('failed');
  expect(summary.failures).toHaveLength(1);
  expect(summary.failures[0]!.item).toBe('(job)');
  return summary.failures[0]!.error;
}

describe('a mail job pointed at a server that is not IMAP', () => {
  it('vsftpd, first run: CONNECTION_RESET quoting its 220, naming host:port; no folder left', async () => {
    const outDir = join(base, 'ftp-first', 'archive');
    const error = jobError(await run(outDir, ftp.port, 60_000));
    expect(error.code).toBe('CONNECTION_RESET');
    expect(error.message).toContain(`127.0.0.1:${ftp.port} is not an IMAP server`);
    expect(error.message).toMatch(/"220[ -]/);
    expect(existsSync(join(base, 'ftp-first'))).toBe(false);
  }, 90_000);

  it('an HTTP server, first run: silence, so TIMEOUT after the greeting timeout, saying no IMAP greeting came', async () => {
    const outDir = join(base, 'http-first', 'archive');
    const error = jobError(await run(outDir, http.port, 3_000));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain(`127.0.0.1:${http.port} accepted the connection but sent no IMAP greeting in 3 s`);
    expect(existsSync(join(base, 'http-first'))).toBe(false);
  }, 90_000);

  it.each([
    ['vsftpd', () => ftp.port, /"220[ -]/],
    ['an HTTP server', () => http.port, /"HTTP\/1\.[01] 400/],
  ] as const)('%s, an account archived before (quick listing): CONNECTION_RESET quoting the first line; the folder kept as it was', async (name, port, quotedLine) => {
    const outDir = join(base, `archived-${port()}`);
    const root = accountDir({ outDir, account: accountAt(port()) });
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'folders.json'), '{}\n');
    const error = jobError(await run(outDir, port(), 60_000));
    expect(error.code, name).toBe('CONNECTION_RESET');
    expect(error.message).toContain(`127.0.0.1:${port()} is not an IMAP server`);
    expect(error.message).toMatch(quotedLine);
    expect(readdirSync(outDir)).toEqual([readdirSync(outDir)[0]]);
    expect(readdirSync(root)).toEqual(['folders.json']);
  }, 90_000);
});
