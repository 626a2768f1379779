import { cpSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { verifyMailLocal } from '../../../electron/engine/verify/verify-mail';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

/**
 * Verify of a mail archive whose folders.json is gone or unreadable (the desktop app's and web host's
 * "Verify" of a past run, verifyMailLocal): the folders are read back from their state.json, as
 * `fanout mail` does (recover-folder-dirs.ts), and checked; before, no folder was checked and the
 * report was clean over a deleted message file (HE's F3).
 */
describe('verify mail with folders.json lost (Dovecot)', () => {
  let bed: MailTestBed<ImapTestServer>;
  let account: MailAccount;
  let base: string;

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer('dovecot'), {
      tmpPrefix: 'fanout-verify-lost-',
      crlf: true,
      folders: (srv) => [{ path: 'INBOX', count: 4 }, { path: serverPath(srv, 'Archive'), count: 2 }],
    });
    account = bed.account();
    base = join(bed.base, 'base');
    const first = await runMailJob({ kind: 'mail', account, outDir: base, connections: 2, strategy: 'adaptive' }, createJobControl());
    expect(first.failures).toEqual([]);
  }, 120_000);
  afterAll(async () => {
    await bed?.stop();
  });

  it.each(['deleted', 'unreadable'] as const)('folders.json %s: every folder checked, a deleted message file reported missing', async (how) => {
    const out = join(bed.base, how);
    rmSync(out, { recursive: true, force: true });
    cpSync(base, out, { recursive: true, preserveTimestamps: true });
    const root = accountDir({ outDir: out, account });
    const inbox = archivedFolderDir(root, 'INBOX');
    const eml = readdirSync(inbox).filter((n) => /^\d+\.eml$/.test(n)).sort();
    unlinkSync(join(inbox, eml[0]!));
    if (how === 'deleted') unlinkSync(join(root, 'folders.json'));
    else writeFileSync(join(root, 'folders.json'), '{"dirs": {"INB');
    const report = await verifyMailLocal(root);
    expect(report.checked.files).toBe(6);
    expect(report.missing.map((m) => [m.where, m.file])).toEqual([['INBOX', eml[0]]]);
    expect(report.corrupt).toEqual([]);
  }, 60_000);

  it('a damaged index line is reported (index.jsonl corrupt), and the file it named as extra', async () => {
    const out = join(bed.base, 'line');
    rmSync(out, { recursive: true, force: true });
    cpSync(base, out, { recursive: true, preserveTimestamps: true });
    const root = accountDir({ outDir: out, account });
    const inbox = archivedFolderDir(root, 'INBOX');
    const lines = readFileSync(join(inbox, 'index.jsonl'), 'utf8').split('\n').filter(Boolean);
    const named = (JSON.parse(lines[1]!) as { file: string }).file;
    lines[1] = 'x'.repeat(lines[1]!.length);
    writeFileSync(join(inbox, 'index.jsonl'), `${lines.join('\n')}\n`);
    const report = await verifyMailLocal(root);
    expect(report.corrupt.map((c) => [c.where, c.file])).toEqual([['INBOX', 'index.jsonl']]);
    expect(report.extra.map((c) => [c.where, c.file])).toEqual([['INBOX', named]]);
  }, 60_000);
});
