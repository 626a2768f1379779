import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { CLI_FROM_SOURCE_TEST_MS } from '../../harness/fanout-cli';
import { fillMailbox } from '../../harness/dovecot-fill';
import { testMailAccount } from '../../../electron/engine/mail/folders';
import { runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { MailAccount } from '../../../shared/job-spec';

const run = promisify(execFile);
const GOOD = 'ya29.good-token-for-fanout';

/**
 * XOAUTH2 against the real Dovecot: its oauth2 passdb validates each bearer token by POSTing it to
 * an RFC 7662 introspection endpoint, here a small real HTTP server on loopback (the token
 * issuer's side is the only part that is not a real product).
 */
describe('OAuth2 access tokens (XOAUTH2) against a real Dovecot', () => {
  let srv: DovecotServer;
  let http: Server;
  let base: string;
  const introspected: string[] = [];
  let account: MailAccount;

  beforeAll(async () => {
    http = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const token = new URLSearchParams(body).get('token') ?? '';
        introspected.push(token);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(req.method === 'POST' && token === GOOD ? { active: true, username: 'fanout', scope: 'mail' } : { active: false }));
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const port = (http.address() as { port: number }).port;
    // XOAUTH2 only, so the client cannot pick OAUTHBEARER instead.
    srv = await startDovecot({ oauth2: { introspectionUrl: `http://127.0.0.1:${port}/introspect`, mechanisms: ['xoauth2'] } });
    const admin = await srv.connect();
    await fillMailbox(admin, [{ path: 'INBOX', count: 40 }, { path: 'Sent', count: 10 }]);
    await admin.logout();
    base = mkdtempSync(join(tmpdir(), 'fanout-mail-oauth-'));
    account = { host: srv.host, port: srv.port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'oauth2', accessToken: GOOD } };
  }, 60_000);

  afterAll(async () => {
    await srv?.stop();
    await new Promise((r) => http?.close(r));
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('CLI --token-env archives the account over XOAUTH2, the token checked by the introspection endpoint', async () => {
    const entry = join(__dirname, 'cli-entry.ts');
    const env = { ...process.env, FANOUT_TEST_TOKEN: GOOD };
    const common = ['--host', srv.host, '--port', String(srv.port), '--tls', 'none', '--user', srv.user, '--token-env', 'FANOUT_TEST_TOKEN'];
    const arch = await run(process.execPath, ['--import', 'tsx', entry, 'mail', ...common, '--out', join(base, 'cli'), '--connections', '2', '--json'], { env });
    const summary = JSON.parse(arch.stdout) as { status: string; itemsDone: number };
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(50);
    expect(introspected).toContain(GOOD);
    const log = readFileSync(join(srv.dir, 'dovecot.log'), 'utf8');
    // Both connections logged in with the token (the first one also planned the folders).
    expect(log.match(/Login: user=<fanout>, method=XOAUTH2/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
  }, CLI_FROM_SOURCE_TEST_MS);

  // Dovecot delays each failed login from an IP more (2, 4, 8 s...): three failures take a while.
  it('a bad token gives AUTH_FAILED with a clear message (engine and CLI)', async () => {
    const bad: MailAccount = { ...account, auth: { method: 'oauth2', accessToken: 'expired-token' } };
    const tested = await testMailAccount(bad);
    expect(tested.ok).toBe(false);
    expect(tested.error?.code).toBe('AUTH_FAILED');
    expect(tested.error?.message).toMatch(/rejected the user name or password\/token/);
    expect(introspected).toContain('expired-token');

    const summary = await runMailJob({ kind: 'mail', account: bad, outDir: join(base, 'bad') }, createJobControl());
    expect(summary.status).toBe('failed');
    expect(summary.failures[0]!.error.code).toBe('AUTH_FAILED');

    const entry = join(__dirname, 'cli-entry.ts');
    const env = { ...process.env, FANOUT_TEST_TOKEN: 'expired-token' };
    const common = ['--host', srv.host, '--port', String(srv.port), '--tls', 'none', '--user', srv.user, '--token-env', 'FANOUT_TEST_TOKEN'];
    const err = await run(process.execPath, ['--import', 'tsx', entry, 'mail', ...common, '--list-folders'], { env }).then(
      () => null,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.code).not.toBe(0);
    expect(err!.stderr).toMatch(/error: Login to .* failed.*\[AUTH_FAILED\]/);
    expect(err!.stderr).not.toMatch(/\n\s+at /);
  }, CLI_FROM_SOURCE_TEST_MS);
});
