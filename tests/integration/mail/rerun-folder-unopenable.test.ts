import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, readIndex } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

/**
 * A folder deleted on the server while it had a subfolder (HC's finding): Courier lists it
 * \Noselect (not selectable: not archived, as before); Dovecot (maildir++) keeps listing it with
 * \HasChildren only, and EXAMINE says it does not exist. Every later `fanout mail` failed with
 * FOLDER_NOT_FOUND; now the folder is skipped with a warning (its archive kept), the run succeeds,
 * and a run that names the folder still fails.
 */
describe.each(['dovecot', 'courier'] as const)('a re-run after a parent folder was deleted on the server: %s', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  let account: MailAccount;
  let out: string;
  const parent = () => serverPath(bed.srv, 'Parent');
  const child = () => serverPath(bed.srv, 'Parent/Child');

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer(entry), {
      tmpPrefix: `fanout-unopenable-${entry}-`,
      crlf: true,
      folders: (srv) => [{ path: serverPath(srv, 'Parent'), count: 2 }, { path: serverPath(srv, 'Parent/Child'), count: 1 }],
    });
    account = bed.account();
    out = join(bed.base, 'out');
    const first = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl());
    expect(first.failures).toEqual([]);
    await bed.admin.mailboxDelete(parent());
  }, 120_000);
  afterAll(async () => {
    await bed?.stop();
  });

  it('all folders: the parent is skipped with a warning, its archive kept, the run succeeds', async () => {
    const warnings: string[] = [];
    const s = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl((e) => {
      if (e.kind === 'job:warning') warnings.push(e.message);
    }));
    expect(s.failures).toEqual([]);
    expect(s.status).toBe('succeeded');
    const root = accountDir({ outDir: out, account });
    expect(readIndex(archivedFolderDir(root, parent())).length).toBe(2);
    expect(readIndex(archivedFolderDir(root, child())).length).toBe(1);
    if (entry === 'dovecot') expect(warnings.join('\n')).toMatch(new RegExp(`${parent()}: .*cannot be opened`));
  }, 60_000);

  it('a second run: no warning again (Dovecot: said once, remembered in its state.json), the archive kept', async () => {
    const warnings: string[] = [];
    const s = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl((e) => {
      if (e.kind === 'job:warning') warnings.push(e.message);
    }));
    expect(s.failures).toEqual([]);
    expect(s.itemsDone).toBe(0);
    expect(warnings.filter((w) => w.includes('cannot be opened'))).toEqual([]);
    const root = accountDir({ outDir: out, account });
    expect(readIndex(archivedFolderDir(root, parent())).length).toBe(2);
  }, 60_000);

  it.runIf(entry === 'dovecot')('the parent named with --folders: still its failure', async () => {
    const s = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive', folders: [parent()] }, createJobControl());
    expect(s.failures.map((f) => f.error.code)).toEqual(['FOLDER_NOT_FOUND']);
  }, 60_000);
});

/** Cyrus refuses to delete a folder that has subfolders (NO [HASCHILDREN]): no such folder arises there, and runs stay quiet. */
describe('cyrus: a parent folder cannot be deleted while it has subfolders', () => {
  let bed: MailTestBed<ImapTestServer>;
  afterAll(async () => {
    await bed?.stop();
  });

  it('DELETE is refused; the re-run archives as before, without a warning', async () => {
    bed = await openMailTestBed(() => startImapServer('cyrus'), {
      tmpPrefix: 'fanout-unopenable-cyrus-',
      crlf: true,
      folders: (srv) => [{ path: serverPath(srv, 'Parent'), count: 2 }, { path: serverPath(srv, 'Parent/Child'), count: 1 }],
    });
    const account = bed.account();
    const out = join(bed.base, 'out');
    const first = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl());
    expect(first.failures).toEqual([]);
    await expect(bed.admin.mailboxDelete(serverPath(bed.srv, 'Parent'))).rejects.toMatchObject({ serverResponseCode: 'HASCHILDREN' });
    const warnings: string[] = [];
    const s = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl((e) => {
      if (e.kind === 'job:warning') warnings.push(e.message);
    }));
    expect(s.failures).toEqual([]);
    expect(s.itemsDone).toBe(0);
    expect(warnings.filter((w) => w.includes('cannot be opened'))).toEqual([]);
  }, 120_000);
});
