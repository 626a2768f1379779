/**
 * An ftp:// mirror URL that points at a server speaking something else: the session says so in
 * one typed error naming host:port, whose cause is a NotTheProtocolError. An HTTP server says
 * nothing until it gets a request: TIMEOUT "sent no FTP greeting in N s" (it was basic-ftp's bare
 * "Timeout (control socket)"). An IMAP server (Dovecot: "* OK ...") greets with no FTP reply: at
 * once CONNECTION_RESET quoting that line (basic-ftp skipped it and waited out the timeout).
 * The job-level stop on these (no book recorded failed) is core/job-fatal.ts's: see mirror-not-the-protocol.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { openMirror } from '../../../electron/engine/mirror';
import { isNotTheProtocol } from '../../../electron/engine/net/not-the-protocol';
import { startHttpServer, type HttpServer } from '../../harness';
import { startImapServer } from '../../harness/imap-servers';
import type { ImapTestServer } from '../../harness/imap-server';
import { makeCtx } from '../mirror/helpers';

let work: string;
let http: HttpServer;
let imap: ImapTestServer;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'fanout-not-ftp-'));
  http = await startHttpServer({ root: work });
  imap = await startImapServer('dovecot');
}, 120_000);
afterAll(async () => {
  await Promise.allSettled([http?.stop(), imap?.stop()]);
  await rm(work, { recursive: true, force: true });
});

async function failure(port: number, batch: boolean, scheme = 'ftp'): Promise<FanoutError> {
  const mirror = openMirror(`${scheme}://127.0.0.1:${port}/`, { timeoutMs: 3_000 });
  try {
    const session = mirror.openSession(0);
    const rawDir = path.join(work, 'raw');
    const err = await (batch ? session.fetchBooks([1001, 1002], { rawDir, ctx: makeCtx(), onFetched: async () => undefined }) : session.fetchBook(1001, { rawDir, ctx: makeCtx() })).then(
      (r) => (Array.isArray(r) ? r.find((x) => x instanceof FanoutError) : r),
      (e: unknown) => e,
    );
    await session.close();
    expect(err).toBeInstanceOf(FanoutError);
    return err as FanoutError;
  } finally {
    await mirror.close();
  }
}

describe('an ftps:// mirror (explicit FTPS: the greeting comes in clear) that is not an FTP server', () => {
  it('an HTTP server (silent): TIMEOUT, no FTP greeting', async () => {
    const err = await failure(http.port, false, 'ftps');
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toContain(`127.0.0.1:${http.port} accepted the connection but sent no FTP greeting in 3 s`);
    expect(isNotTheProtocol(err.cause)).toBe(true);
  }, 60_000);

  it('Dovecot: CONNECTION_RESET quoting its first line', async () => {
    const err = await failure(imap.port, false, 'ftps');
    expect(err.code).toBe('CONNECTION_RESET');
    expect(err.message).toContain(`127.0.0.1:${imap.port} is not an FTP server: its first line was "* OK`);
  }, 60_000);
});

describe('an ftp:// mirror that is not an FTP server', () => {
  it.each([false, true])('an HTTP server (silent), batch %s: TIMEOUT, no FTP greeting, host:port named', async (batch) => {
    const err = await failure(http.port, batch);
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toContain(`127.0.0.1:${http.port} accepted the connection but sent no FTP greeting in 3 s`);
    expect(isNotTheProtocol(err.cause)).toBe(true);
  }, 60_000);

  it.each([false, true])('Dovecot (an IMAP greeting), batch %s: CONNECTION_RESET quoting its first line', async (batch) => {
    const err = await failure(imap.port, batch);
    expect(err.code).toBe('CONNECTION_RESET');
    expect(err.message).toContain(`127.0.0.1:${imap.port} is not an FTP server: its first line was "* OK`);
    expect(isNotTheProtocol(err.cause)).toBe(true);
  }, 60_000);
});
