import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { CLI_FROM_SOURCE_TEST_MS } from '../../harness/fanout-cli';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { archivedFolderDir } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { runVerifyMail } from './verify-cli';


/**
 * `fanout verify mail` over an archive whose folders.json was lost: the CLI refused it before
 * connecting ('holds no mail archive of … (no …/folders.json in it)', exit 2), while the engine reads
 * the folders back from their state.json (f23c77e) and fanout mail re-runs over it. Now it is
 * verified: a deleted message file is found. An account folder with nothing in it is still refused.
 */
describe('fanout verify mail: folders.json lost (Dovecot)', () => {
  let bed: MailTestBed<DovecotServer>;
  let root: string;
  const verify = () => runVerifyMail(bed.srv, bed.out);

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot({}), { tmpPrefix: 'fanout-verify-cli-lost-', folders: [{ path: 'INBOX', count: 4 }], seed: 3, crlf: true });
    const account = bed.account({ host: '127.0.0.1' });
    expect((await runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 2 }, createJobControl())).status).toBe('succeeded');
    root = accountDir({ outDir: bed.out, account });
  }, 60_000);
  afterAll(async () => {
    await bed?.stop();
  });

  it('verified from the folders\' state.json: the deleted file is missing (exit 1), not "holds no mail archive" (exit 2)', async () => {
    const inbox = archivedFolderDir(root, 'INBOX');
    const eml = readdirSync(inbox).filter((n) => /^\d+\.eml$/.test(n)).sort();
    unlinkSync(join(inbox, eml[0]!));
    unlinkSync(join(root, 'folders.json'));
    const r = await verify();
    expect(r.stderr).not.toMatch(/holds no mail archive/);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^PROBLEMS: 4 files re-hashed, 4 server messages compared/m);
    expect(r.stdout).toMatch(new RegExp(`^missing: INBOX UID \\d+ ${eml[0]!.replace('.', '\\.')}: in the index, not on disk$`, 'm'));
  }, CLI_FROM_SOURCE_TEST_MS);
});
