import { cpSync, mkdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { verifyMailLocal } from '../../../electron/engine/verify/verify-mail';
import type { JobSummary } from '../../../shared/events';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, expectFoldersArchivedOnce } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

/**
 * The archive's own files damaged (not a message's bytes): index.jsonl, state.json or folders.json
 * replaced by a directory, a folder's directory renamed. verify reports each clearly; a re-run fails
 * with a typed error naming the path and what to do (fanout does not delete what it did not write)
 * and, once that is done, restores the archive without fetching what is whole; or, for a renamed
 * directory, fetches the folder again. Before: index.jsonl as a directory failed the folder with
 * Node's bare 'EISDIR: illegal operation on a directory, read' (no path), state.json and folders.json
 * as directories were read as absent and failed only at their write, and verify said OK over both.
 */
describe.each(['dovecot', 'cyrus', 'courier'] as const)('archive files damaged around the messages: %s', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  let account: MailAccount;
  let base: string;
  const folders = [
    { logical: 'INBOX', count: 5 },
    { logical: 'Archive', count: 2 },
  ];

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer(entry), { tmpPrefix: `fanout-layout-${entry}-`, crlf: true, folders: (srv) => folders.map((f) => ({ path: serverPath(srv, f.logical), count: f.count })) });
    account = bed.account();
    base = join(bed.base, 'base');
    expect((await runMailJob({ kind: 'mail', account, outDir: base, connections: 2, strategy: 'adaptive' }, createJobControl())).failures).toEqual([]);
  }, 120_000);
  afterAll(async () => {
    await bed?.stop();
  });

  const job = (out: string, quick: boolean) => runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl(), { quickList: quick });
  const tallyOf = (s: JobSummary, folder: string) => {
    const t = s.mailFolders?.find((x) => x.folder === folder);
    return t && [t.onServer, t.archivedBefore, t.fetched, t.vanished];
  };
  function copy(label: string): { out: string; root: string; inbox: string } {
    const out = join(bed.base, label);
    rmSync(out, { recursive: true, force: true });
    cpSync(base, out, { recursive: true, preserveTimestamps: true });
    const root = accountDir({ outDir: out, account });
    return { out, root, inbox: archivedFolderDir(root, 'INBOX') };
  }

  it.each([
    ['index.jsonl', 'INBOX'],
    ['state.json', 'INBOX'],
    ['folders.json', '(job)'],
  ] as const)('%s replaced by a directory: verify says so; the run fails naming it; once moved away, nothing is fetched', async (name, item) => {
    for (const quick of [true, false]) {
      const { out, root, inbox } = copy(`${name}-${quick}`);
      const where = name === 'folders.json' ? root : inbox;
      unlinkSync(join(where, name));
      mkdirSync(join(where, name));
      const v = await verifyMailLocal(root);
      expect(v.corrupt.map((p) => p.file)).toEqual([name]);
      expect(v.corrupt[0]!.detail).toMatch(/^a directory, not a file/);
      const s = await job(out, quick);
      expect(s.status).toBe('failed');
      const f = s.failures.find((x) => x.item === item);
      expect(f?.error.code, JSON.stringify(s.failures)).toBe('WRITE_FAILED');
      expect(f?.error.message).toContain(`${join(where, name)} is a directory, not a file: move it out of the way`);
      rmSync(join(where, name), { recursive: true });
      const again = await job(out, quick);
      expect(again.failures).toEqual([]);
      expect(again.itemsDone).toBe(0);
      await expectFoldersArchivedOnce(bed.srv, root, folders);
      expect((await verifyMailLocal(root)).ok).toBe(true);
    }
  }, 120_000);

  it.each([true, false])('a folder\'s directory renamed: verify says the directory is gone and checks the renamed one; the run fetches the folder again; quick listing: %s', async (quick) => {
    const { out, root } = copy(`renamed-${quick}`);
    // Archive: a leaf (on Cyrus and Courier INBOX's directory holds it).
    const archive = serverPath(bed.srv, 'Archive');
    const dir = archivedFolderDir(root, archive);
    renameSync(dir, `${dir}-old`);
    const v = await verifyMailLocal(root);
    expect(v.missing.map((p) => p.where)).toEqual([archive]);
    expect(v.missing[0]!.detail).toMatch(/its directory .* is gone/);
    expect(v.notes?.map((n) => n.where)).toEqual([`${dir.slice(root.length + 1).split(sep).join('/')}-old/ (folder not recorded)`]);
    expect(v.checked.files).toBe(7);
    const s = await job(out, quick);
    expect(s.failures).toEqual([]);
    expect(tallyOf(s, archive)).toEqual([2, 0, 2, 0]);
    await expectFoldersArchivedOnce(bed.srv, root, folders);
    expect((await verifyMailLocal(root)).ok).toBe(true);
  }, 120_000);
});
