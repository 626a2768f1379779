import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { CLI_FROM_SOURCE_TEST_MS } from '../../harness/fanout-cli';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { archivedFolderDir } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { verifyMailBoth } from './verify-cli';


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
  const verify = (...more: string[]) => verifyMailBoth(bed.srv, bed.out, more);

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
