import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, freePort, type DovecotServer } from '../../harness/dovecot';
import { CLI_FROM_SOURCE_TEST_MS } from '../../harness/fanout-cli';
import { listMailFolders, testMailAccount } from '../../../electron/engine/mail/folders';
import { runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import type { MailAccount } from '../../../shared/job-spec';
import type { JobEvent } from '../../../shared/events';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

const run = promisify(execFile);

describe('connections, TLS and limits against a real Dovecot', () => {
  let srv: DovecotServer;
  let base: string;
  let account: MailAccount;
  let bed: MailTestBed<DovecotServer>;

  beforeAll(async () => {
    // Dovecot's default of 10 connections per user and IP.
    bed = await openMailTestBed(() => startDovecot({ tls: true, maxUserIpConnections: 10 }), {
      tmpPrefix: 'fanout-mail-conn-',
      folders: [{ path: 'INBOX', count: 120 }, { path: 'Sent', count: 60 }],
      logoutAdmin: true,
    });
    ({ srv, base } = bed);
    account = bed.account({ port: srv.tlsPort, tls: 'implicit' });
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
  });

  it('an untrusted self-signed certificate gives TLS_FAILED with a clear message', async () => {
    const err = await listMailFolders(account).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FanoutError);
    expect((err as FanoutError).code).toBe('TLS_FAILED');
    expect((err as FanoutError).message).toMatch(/self-signed/);
    expect((err as FanoutError).context.host).toBe(`127.0.0.1:${srv.tlsPort}`);
    const starttls = await listMailFolders({ ...account, port: srv.port, tls: 'starttls' }).catch((e: unknown) => e);
    expect((starttls as FanoutError).code).toBe('TLS_FAILED');
  });

  it('trusting the certificate explicitly works, over implicit TLS and STARTTLS', async () => {
    const implicit = await listMailFolders({ ...account, allowUntrustedCert: true });
    expect(implicit.find((f) => f.path === 'INBOX')?.messages).toBe(120);
    expect(implicit.find((f) => f.path === 'Sent')?.specialUse).toBe('\\Sent');
    const starttls = await testMailAccount({ ...account, port: srv.port, tls: 'starttls', allowUntrustedCert: true });
    expect(starttls.ok).toBe(true);
    expect(starttls.messages).toBe(180);
    expect(starttls.warnings.join(' ')).toMatch(/Certificate checks are off/);
  });

  it('wrong password and refused connections give AUTH_FAILED / CONNECTION_REFUSED', async () => {
    const bad = await testMailAccount({ ...account, allowUntrustedCert: true, auth: { method: 'password', password: 'wrong' } });
    expect(bad.ok).toBe(false);
    expect(bad.error?.code).toBe('AUTH_FAILED');
    const port = await freePort();
    const refused = await testMailAccount({ ...account, port });
    expect(refused.error?.code).toBe('CONNECTION_REFUSED');
    expect(refused.error?.message).toContain(`127.0.0.1:${port}`);
  });

  it('more connections than the server allows: workers retire, the job completes', async () => {
    // Dovecot counts a login only once its session has started (anvil), so logins sent together
    // all pass the count as it was before them: the job's workers send theirs together the moment
    // the planning connection's LOGIN has succeeded, and, when they had their greetings by then,
    // all 15 passed beside 6 connections held here (Dovecot let 22 sessions in at a limit of 10).
    // 9 connections held leave the planning connection the last of the 10, and it has logged in
    // before any worker sends LOGIN, so every worker is refused however its LOGIN is timed.
    const held = await Promise.all(Array.from({ length: 9 }, () => srv.connect()));
    const events: JobEvent[] = [];
    const summary = await runMailJob(
      { kind: 'mail', account: { ...account, port: srv.port, tls: 'none' }, outDir: join(base, 'many'), connections: 16, strategy: 'queue' },
      createJobControl((e) => events.push(e)),
      { limits: { chunkMessages: 10 } },
    ).finally(() => Promise.all(held.map((c) => c.logout().catch(() => undefined))));
    expect(summary.failures).toEqual([]);
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(180);
    expect(events.some((e) => e.kind === 'job:warning' && /retired/.test(e.message))).toBe(true);
  });

  it('CLI: --list-folders prints the tree, and an archive run prints a JSON summary', async () => {
    const entry = join(__dirname, 'cli-entry.ts');
    const env = { ...process.env, FANOUT_TEST_PW: srv.password };
    const common = ['--host', srv.host, '--port', String(srv.tlsPort), '--insecure-skip-verify', '--user', srv.user, '--password-env', 'FANOUT_TEST_PW'];
    const tree = await run(process.execPath, ['--import', 'tsx', entry, 'mail', ...common, '--list-folders'], { env });
    expect(tree.stdout).toMatch(/INBOX\s+120 messages/);
    expect(tree.stderr).toMatch(/Certificate checks are off/);
    const arch = await run(process.execPath, ['--import', 'tsx', entry, 'mail', ...common, '--folders', 'Sent', '--out', join(base, 'cli'), '--json'], { env });
    const summary = JSON.parse(arch.stdout) as { status: string; itemsDone: number };
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(60);
  }, CLI_FROM_SOURCE_TEST_MS);
});
