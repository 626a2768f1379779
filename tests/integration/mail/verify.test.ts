import { appendFileSync, existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { startCyrus } from '../../harness/cyrus';
import { CLI_FROM_SOURCE_TEST_MS } from '../../harness/fanout-cli';
import { makeMessage, rng } from '../../harness/dovecot-fill';
import type { ImapTestServer } from '../../harness/imap-server';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, readIndex } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { verifyMailJson } from './verify-cli';


/** `fanout verify mail` on a Cyrus archive: clean, then with every kind of damage. */
describe('fanout verify mail (Cyrus)', () => {
  let srv: ImapTestServer;
  let admin: ImapFlow;
  let out: string;
  let account: MailAccount;
  let bed: MailTestBed<ImapTestServer>;
  const verify = (...more: string[]) => verifyMailJson(srv, out, more);
  const inboxDir = () => archivedFolderDir(accountDir({ outDir: out, account }), 'INBOX');
  const index = () => readIndex(inboxDir());

  beforeAll(async () => {
    bed = await openMailTestBed(() => startCyrus(), { tmpPrefix: 'fanout-verify-mail-', folders: [{ path: 'INBOX', count: 25 }, { path: 'INBOX.Sent', count: 10 }], seed: 3, crlf: true });
    ({ srv, admin, out } = bed);
    account = bed.account({ host: '127.0.0.1' });
    const summary = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2 }, createJobControl());
    expect(summary.status).toBe('succeeded');
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
  });

  it('a complete archive verifies: exit 0, every file re-hashed, every server message compared, a sample re-fetched', async () => {
    const r = await verify('--sample', '5');
    expect(r.code).toBe(0);
    expect(r.report.ok).toBe(true);
    expect(r.report.checked).toEqual({ files: 35, serverMessages: 35, sampled: 5 });
  }, CLI_FROM_SOURCE_TEST_MS);

  it('reports missing, corrupt and extra files, and mail not archived; exits 1', async () => {
    const [a, b] = index();
    // Corrupt: same size, one byte different (only the hash can tell).
    const fa = join(inboxDir(), a!.file);
    const bytes = readFileSync(fa);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x20;
    writeFileSync(fa, bytes);
    // Missing: a file the index names.
    unlinkSync(join(inboxDir(), b!.file));
    // Extra: a file no index line names.
    writeFileSync(join(inboxDir(), '9999.eml'), 'stray');
    // Truncated (another size than the server's and the index's).
    const c = index()[2]!;
    appendFileSync(join(inboxDir(), c.file), 'tail');
    // New mail on the server, not archived yet.
    const d = new Date(Date.UTC(2022, 1, 1));
    await admin.append('INBOX', makeMessage(5000, d, 0, rng(1)), [], d);

    const r = await verify('--folders', 'INBOX', '--sample', '40');
    expect(r.code).toBe(1);
    expect(r.report.ok).toBe(false);
    expect(r.report.corrupt.map((p) => p.uid).sort()).toEqual([a!.uid, c.uid].sort());
    expect(r.report.missing.some((p) => p.uid === b!.uid && /not on disk/.test(p.detail))).toBe(true);
    expect(r.report.missing.some((p) => /on the server, not in the archive/.test(p.detail))).toBe(true);
    expect(r.report.extra.map((p) => p.file)).toEqual(['9999.eml']);
    expect(r.report.corrupt.find((p) => p.uid === a!.uid)!.detail).toMatch(/sha256/);
    // Every message of the folder that is intact was re-fetched and compared.
    expect(r.report.checked.sampled).toBe(25 - 3);
    expect(existsSync(join(inboxDir(), a!.file))).toBe(true);
  }, CLI_FROM_SOURCE_TEST_MS);
});
