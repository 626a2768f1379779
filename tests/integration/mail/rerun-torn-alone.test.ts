import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { earlyListingShowsWork } from '../../../electron/engine/mail/quick-decision';
import { startEarlyQuickList } from '../../../electron/engine/mail/quick-list';
import { verifyMailLocal } from '../../../electron/engine/verify/verify-mail';
import type { JobSummary } from '../../../shared/events';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, expectFoldersArchivedOnce, fillFolder, readIndex, recreateFolder } from './archive-files';
import type { MailTestBed } from './mail-test-bed';
import { ARCHIVED_FOLDERS, openArchivedBed } from './archived-bed';

/**
 * "Done" means whole: a run with nothing new on the server (the quick listing, or LIST-STATUS showing
 * every folder unchanged) notices a message file torn, overwritten or replaced in place — the folder's
 * file count and index.jsonl unchanged — and fetches that message again. state.json's DiskRecord
 * holds the bytes and mtimes of the folder's `.eml` files besides their count and the index's bytes.
 * Before, only a run that planned the folder for another reason (new mail) saw it.
 */
describe.each(['dovecot', 'cyrus', 'courier'] as const)('a torn or replaced file alone, nothing new on the server: %s', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  let account: MailAccount;
  let base: string;
  const folders = ARCHIVED_FOLDERS;

  beforeAll(async () => {
    ({ bed, account, base } = await openArchivedBed(entry, `fanout-torn-${entry}-`));
  }, 120_000);
  afterAll(async () => {
    await bed?.stop();
  });

  const inbox = (out: string) => archivedFolderDir(accountDir({ outDir: out, account }), 'INBOX');
  const emlNames = (dir: string) => readdirSync(dir).filter((n) => /^\d+\.eml$/.test(n)).sort((a, b) => parseInt(a) - parseInt(b));
  const tallyOf = (s: JobSummary, folder: string) => {
    const t = s.mailFolders?.find((x) => x.folder === folder);
    return t && [t.onServer, t.archivedBefore, t.fetched, t.vanished];
  };

  async function rerun(label: string, quick: boolean, damage: (dir: string) => void): Promise<{ summary: JobSummary; root: string; out: string; warnings: string[] }> {
    const out = join(bed.base, `${label}-${quick ? 'quick' : 'full'}`);
    rmSync(out, { recursive: true, force: true });
    cpSync(base, out, { recursive: true, preserveTimestamps: true });
    damage(inbox(out));
    const warnings: string[] = [];
    const summary = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl((e) => {
      if (e.kind === 'job:warning') warnings.push(e.message);
    }), { quickList: quick });
    return { summary, root: accountDir({ outDir: out, account }), out, warnings };
  }

  async function expectWholeAndQuiet(r: { summary: JobSummary; root: string; out: string }, quick: boolean) {
    expect(r.summary.failures).toEqual([]);
    expect(r.summary.status).toBe('succeeded');
    await expectFoldersArchivedOnce(bed.srv, r.root, folders);
    for (const t of r.summary.mailFolders ?? []) expect(readIndex(archivedFolderDir(r.root, t.folder)).length, `${t.folder} index lines`).toBe(t.onServer);
    const v = await verifyMailLocal(r.root);
    expect([v.missing, v.corrupt, v.extra]).toEqual([[], [], []]);
    // The repair is recorded: the next run has nothing to do.
    const again = await runMailJob({ kind: 'mail', account, outDir: r.out, connections: 2, strategy: 'adaptive' }, createJobControl(), { quickList: quick });
    expect([again.status, again.itemsDone, again.itemsSkipped]).toEqual(['succeeded', 0, 15]);
  }

  it.each([true, false])('one file truncated (count and index unchanged) is fetched again; quick listing: %s', async (quick) => {
    let name = '';
    const r = await rerun('torn', quick, (dir) => {
      name = emlNames(dir)[4]!;
      truncateSync(join(dir, name), 50);
    });
    expect(tallyOf(r.summary, 'INBOX')).toEqual([12, 11, 1, 0]);
    expect(r.summary.itemsDone).toBe(1);
    expect(r.warnings.join('\n')).toMatch(new RegExp(`INBOX: .*UID ${parseInt(name)}\\b`));
    await expectWholeAndQuiet(r, quick);
  }, 120_000);

  it.each([true, false])('one file overwritten in place at the same size (other bytes) is fetched again; quick listing: %s', async (quick) => {
    const r = await rerun('same-size', quick, (dir) => {
      const file = join(dir, emlNames(dir)[2]!);
      const bytes = readFileSync(file);
      writeFileSync(file, Buffer.alloc(bytes.length, 0x78));
    });
    expect(tallyOf(r.summary, 'INBOX')).toEqual([12, 11, 1, 0]);
    await expectWholeAndQuiet(r, quick);
  }, 120_000);

  it.each([true, false])('one file touched (same bytes, another mtime): nothing fetched, its mtime (INTERNALDATE) put back; quick listing: %s', async (quick) => {
    let file = '';
    let mtime = 0;
    const r = await rerun('touched', quick, (dir) => {
      file = join(dir, emlNames(dir)[3]!);
      mtime = statSync(file).mtimeMs;
      utimesSync(file, new Date(), new Date());
    });
    expect(tallyOf(r.summary, 'INBOX')).toEqual([12, 12, 0, 0]);
    expect(Math.abs(statSync(file).mtimeMs - mtime)).toBeLessThan(1000);
    await expectWholeAndQuiet(r, quick);
  }, 120_000);

  it.each([true, false])('an .eml replaced by a directory: the run sees it and fails naming it (fanout does not delete it); once moved away, fetched again; quick listing: %s', async (quick) => {
    let path = '';
    const out = join(bed.base, `eml-dir-${quick}`);
    rmSync(out, { recursive: true, force: true });
    cpSync(base, out, { recursive: true, preserveTimestamps: true });
    path = join(inbox(out), emlNames(inbox(out))[1]!);
    rmSync(path);
    mkdirSync(path);
    const job = () => runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl(), { quickList: quick });
    const s = await job();
    expect(s.status).toBe('failed');
    const f = s.failures.find((x) => x.error.code === 'WRITE_FAILED');
    expect(f?.error.message, JSON.stringify(s.failures)).toContain(`${path} is a directory, not a file: move it out of the way`);
    rmSync(path, { recursive: true });
    const again = await job();
    expect(again.failures).toEqual([]);
    expect(tallyOf(again, 'INBOX')).toEqual([12, 11, 1, 0]);
    await expectFoldersArchivedOnce(bed.srv, accountDir({ outDir: out, account }), folders);
  }, 120_000);

  it('a folder\'s directory replaced by a file: the folder fails WRITE_FAILED naming it (was INTERNAL, EEXIST from mkdir)', async () => {
    const out = join(bed.base, 'dir-file');
    rmSync(out, { recursive: true, force: true });
    cpSync(base, out, { recursive: true, preserveTimestamps: true });
    const root = accountDir({ outDir: out, account });
    const archive = serverPath(bed.srv, 'Archive');
    const dir = archivedFolderDir(root, archive);
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'not a directory');
    const s = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl());
    const f = s.failures.find((x) => x.item === archive);
    expect(f?.error.code, JSON.stringify(s.failures)).toBe('WRITE_FAILED');
    expect(f?.error.message).toContain(`${dir}: a file is where a directory should be: move it out of the way`);
    expect(tallyOf(s, 'INBOX')).toEqual([12, 12, 0, 0]);
  }, 120_000);

  // One decision per output folder, as one process takes it (its disk scan, started with the early
  // listing in a worker, is the one the decision and the job that follows both take).
  it.each([false, true])('fanout mail\'s first-node decision: a torn file alone is work; torn: %s', async (torn) => {
    const out = join(bed.base, `decision-${torn}`);
    rmSync(out, { recursive: true, force: true });
    cpSync(base, out, { recursive: true, preserveTimestamps: true });
    if (torn) truncateSync(join(inbox(out), emlNames(inbox(out))[0]!), 10);
    const spec = { account, outDir: out, timeoutMs: 30_000, folders: 'all' as const };
    expect(startEarlyQuickList(account, out, spec.timeoutMs)).toBe(true);
    // Courier has no CONDSTORE: every run of it plans (work), damaged or not.
    expect(await earlyListingShowsWork(spec)).toBe(torn || entry === 'courier');
  }, 120_000);
  // Last: it creates a folder on the server, recreates it (a new UIDVALIDITY), then deletes it.
  it('a torn file of an older generation (the folder recreated on the server): said as not restorable, never taken in silently', async () => {
    const out = join(bed.base, 'older-gen');
    rmSync(out, { recursive: true, force: true });
    const path = serverPath(bed.srv, 'Regen');
    const warnings: string[] = [];
    const job = () => runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive', folders: [path] }, createJobControl((e) => {
      if (e.kind === 'job:warning') warnings.push(e.message);
    }));
    try {
      await fillFolder(bed.admin, path, 'older', [1, 2, 3]);
      expect((await job()).itemsDone).toBe(3);
      await recreateFolder(bed.admin, path, 'older', [1, 4]);
      expect((await job()).itemsDone).toBe(1);
      const dir = archivedFolderDir(accountDir({ outDir: out, account }), path);
      const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { generations: Array<{ uidValidity: string }> };
      const old = state.generations[0]!.uidValidity;
      const rec = readIndex(dir).find((r) => r.uidValidity === old && r.messageId === '<older-3@x>')!;
      truncateSync(join(dir, rec.file), 5);
      warnings.length = 0;
      const s = await job();
      expect([s.status, s.itemsDone]).toEqual(['succeeded', 0]);
      expect(warnings.join('\n')).toMatch(new RegExp(`earlier version of the folder \\(UIDVALIDITY ${old}, UID ${rec.uid}\\).*cannot be restored`));
      expect((await verifyMailLocal(accountDir({ outDir: out, account }))).corrupt.map((p) => p.file)).toEqual([rec.file]);
    } finally {
      await bed.admin.mailboxDelete(path).catch(() => undefined);
    }
  }, 120_000);
});
