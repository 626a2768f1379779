import { readFileSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { verifyMailArchive, verifyMailLocal } from '../../../electron/engine/verify/verify-mail';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, fillFolder, readIndex, recreateFolder } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

/**
 * verify mail over a folder recreated on the server (a new UIDVALIDITY): the files of the older
 * generation, which the server no longer holds, are re-hashed against the index like the current
 * ones (a torn one is corrupt), and the report says they could not be compared with the server.
 */
describe.each(['dovecot', 'cyrus', 'courier'] as const)('verify mail: files of an older UIDVALIDITY generation: %s', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  let account: MailAccount;
  let out: string;
  let path: string;

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer(entry), {
      tmpPrefix: `fanout-verify-gen-${entry}-`,
      crlf: true,
      folders: () => [{ path: 'INBOX', count: 2 }],
    });
    account = bed.account();
    out = join(bed.base, 'out');
    path = serverPath(bed.srv, 'Regen');
    const job = () => runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive', folders: [path] }, createJobControl());
    await fillFolder(bed.admin, path, 'regen', [1, 2, 3]);
    expect((await job()).itemsDone).toBe(3);
    await recreateFolder(bed.admin, path, 'regen', [1, 4]);
    const s = await job();
    expect([s.status, s.itemsDone]).toEqual(['succeeded', 1]);
  }, 120_000);
  afterAll(async () => {
    await bed?.stop();
  });

  it('a torn file of the older generation is corrupt; the report notes the older generation (re-hashed, not on the server)', async () => {
    const root = accountDir({ outDir: out, account });
    const dir = archivedFolderDir(root, path);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { generations: Array<{ uidValidity: string; dir: string }> };
    expect(state.generations.length).toBe(2);
    const [old, now] = state.generations.map((g) => g.uidValidity) as [string, string];
    const oldOnly = readIndex(dir).filter((r) => r.uidValidity === old && r.messageId !== '<regen-1@x>');
    expect(oldOnly.length).toBe(2);
    truncateSync(join(dir, oldOnly[1]!.file), 7);
    const r = await verifyMailArchive({ account, outDir: out, folders: [path], sample: 0, timeoutMs: 30_000 });
    expect(r.corrupt.map((p) => [p.where, p.file, p.uid])).toEqual([[path, oldOnly[1]!.file, oldOnly[1]!.uid]]);
    expect(r.checked.files).toBe(5);
    expect(r.checked.serverMessages).toBe(2);
    const note = r.notes?.find((n) => n.where === path)?.detail ?? '';
    expect(note).toContain(`3 of UIDVALIDITY ${old}`);
    expect(note).toContain(`now UIDVALIDITY ${now}`);
    expect(note).toMatch(/re-hashed/);
    expect((await verifyMailLocal(root)).corrupt.map((p) => p.file)).toEqual([oldOnly[1]!.file]);
    rmSync(join(dir, oldOnly[1]!.file));
  }, 60_000);
});
