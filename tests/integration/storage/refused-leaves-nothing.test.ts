/**
 * A job refused before it wrote anything leaves no folder behind: a wrong IMAP password (or a
 * server that cannot be reached) used to leave `<out>/<user@host>/` (and `<out>` itself) created,
 * empty, because the folder is made and locked while the login is under way. A folder that existed
 * before the job is kept, as is one that holds anything.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import type { MailAccount } from '../../../shared/job-spec';
import { IMAP_MATRIX, startImapServer } from '../../harness/imap-servers';
import type { ImapTestServer } from '../../harness/imap-server';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'fanout-refused-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

function accountOf(srv: { host: string; port: number; user: string }, password: string): MailAccount {
  return { host: srv.host, port: srv.port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'password', password } };
}

async function archive(outDir: string, account: MailAccount) {
  return runMailJob({ kind: 'mail', account, outDir, connections: 2, strategy: 'queue', folders: 'all', timeoutMs: 20_000 }, createJobControl(() => {}));
}

describe.each(IMAP_MATRIX.filter((e) => e !== 'cyrus-slash'))('a refused mail job on %s', (entry) => {
  let srv: ImapTestServer;
  beforeAll(async () => {
    srv = await startImapServer(entry);
  }, 120_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('a wrong password fails with AUTH_FAILED and leaves neither <out> nor <out>/<user@host>', async () => {
    const outDir = join(base, `${entry}-new`, 'archive');
    const account = accountOf(srv, 'not-the-password');
    const summary = await archive(outDir, account);
    expect(summary.status).toBe('failed');
    expect(summary.failures.find((f) => f.item === '(job)')?.error.code).toBe('AUTH_FAILED');
    expect(existsSync(accountDir({ outDir, account }))).toBe(false);
    expect(existsSync(outDir)).toBe(false);
    // The folder above the one asked for was there before: kept.
    expect(existsSync(join(base, `${entry}-new`))).toBe(false);
  });

  it('an <out> that existed is kept, with what it held; an account folder that existed is kept', async () => {
    const outDir = join(base, `${entry}-old`);
    const account = accountOf(srv, 'not-the-password');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'notes.txt'), 'mine\n');
    expect((await archive(outDir, account)).status).toBe('failed');
    expect(readdirSync(outDir)).toEqual(['notes.txt']);
    const root = accountDir({ outDir, account });
    mkdirSync(root);
    expect((await archive(outDir, account)).status).toBe('failed');
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('a mail server that cannot be reached', () => {
  it('CONNECTION_REFUSED, and no folder left', async () => {
    const outDir = join(base, 'unreachable', 'archive');
    // Port 1 on loopback: nothing listens there.
    const account = accountOf({ host: '127.0.0.1', port: 1, user: 'someone' }, 'pw');
    const summary = await archive(outDir, account);
    expect(summary.status).toBe('failed');
    expect(summary.failures.find((f) => f.item === '(job)')?.error.code).toBe('CONNECTION_REFUSED');
    expect(existsSync(join(base, 'unreachable'))).toBe(false);
  });
});
