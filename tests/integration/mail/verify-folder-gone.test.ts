import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { CLI_FROM_SOURCE_TEST_MS } from '../../harness/fanout-cli';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { VerifyReport } from '../../../electron/engine/verify/verify-report';
import { archivedFolderDir } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

const exec = promisify(execFile);
const entry = join(__dirname, 'cli-entry.ts');

type Report = VerifyReport & { notes?: Array<{ where: string; detail: string }> };

/**
 * `fanout verify mail` when a folder that was archived is gone from the server (deleted or renamed
 * there): its archive is still re-hashed (it is the only copy left) and the report says the folder
 * is no longer on the server. Before: its files were silently left out ("OK: 10 files re-hashed"
 * of 16), and `--folders Gone` said "no such folder on the server" (missing, exit 1) without
 * looking at the archive.
 */
describe('fanout verify mail: an archived folder gone from the server (Dovecot)', () => {
  let bed: MailTestBed<DovecotServer>;
  let root: string;
  const verify = async (...more: string[]): Promise<{ code: number; report: Report; text: string }> => {
    const { srv, out } = bed;
    const args = ['--import', 'tsx', entry, 'verify', 'mail', '--host', '127.0.0.1', '--port', String(srv.port), '--tls', 'none', '--user', srv.user, '--password-env', 'FANOUT_TEST_PW', '--out', out, ...more];
    const env = { ...process.env, FANOUT_TEST_PW: srv.password };
    const run = async (a: string[]) => {
      try {
        const r = await exec(process.execPath, a, { env });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    };
    const j = await run([...args, '--json']);
    let report: Report;
    try {
      report = JSON.parse(j.stdout) as Report;
    } catch {
      throw new Error(`fanout verify mail exited ${j.code} with no JSON report; stderr: ${j.stderr}`);
    }
    const t = await run(args);
    expect(t.code).toBe(j.code);
    return { code: j.code, report, text: t.stdout };
  };

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot({}), { tmpPrefix: 'fanout-verify-gone-', folders: [{ path: 'INBOX', count: 10 }, { path: 'Gone', count: 6 }], seed: 11, crlf: true });
    const account = bed.account({ host: '127.0.0.1' });
    const summary = await runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 2 }, createJobControl());
    expect(summary.status).toBe('succeeded');
    root = accountDir({ outDir: bed.out, account });
    await bed.admin.mailboxDelete('Gone');
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
  });

  it('all folders: the gone folder is re-hashed, named in a note, and is not a problem (exit 0)', async () => {
    const r = await verify();
    expect(r.code).toBe(0);
    expect(r.report.ok).toBe(true);
    expect(r.report.checked.files).toBe(16);
    expect(r.report.checked.serverMessages).toBe(10);
    expect(r.report.notes?.map((n) => n.where)).toEqual(['Gone']);
    expect(r.report.notes?.[0]?.detail).toMatch(/6 messages.*no longer on the server/);
    expect(r.text).toMatch(/^note: Gone: .*no longer on the server/m);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('--folders Gone: its archive is checked (a damaged file is found), not "no such folder"', async () => {
    const dir = archivedFolderDir(root, 'Gone');
    const file = readdirSync(dir).find((n) => /^\d+\.eml$/.test(n))!;
    writeFileSync(join(dir, file), 'damaged');
    const r = await verify('--folders', 'Gone');
    expect(r.code).toBe(1);
    expect(r.report.missing).toEqual([]);
    expect(r.report.checked.files).toBe(6);
    expect(r.report.corrupt.map((p) => p.file)).toEqual([file]);
    expect(r.report.notes?.map((n) => n.where)).toEqual(['Gone']);
  }, CLI_FROM_SOURCE_TEST_MS);
});
