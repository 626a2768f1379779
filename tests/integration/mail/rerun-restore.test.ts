import { cpSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { earlyListingShowsWork } from '../../../electron/engine/mail/quick-decision';
import { startEarlyQuickList } from '../../../electron/engine/mail/quick-list';
import { CLI_FROM_SOURCE_TEST_MS } from '../../harness/fanout-cli';
import type { JobSummary } from '../../../shared/events';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, expectFoldersArchivedOnce, fillFolder, readIndex, recreateFolder } from './archive-files';
import type { MailTestBed } from './mail-test-bed';
import { ARCHIVED_FOLDERS, openArchivedBed } from './archived-bed';

/**
 * A re-run finishes the job: what was lost from the archive since the last run (a deleted or torn
 * .eml file, lost index lines, a deleted state.json, folder directory or folders.json) is restored,
 * byte for byte, each message once, and the run's numbers are those of the disk. Each case damages
 * a copy of the same complete archive and re-runs it the way a user does (the quick listing first)
 * and with the full path only (`quickList: false`).
 */
describe.each(['dovecot', 'cyrus', 'courier'] as const)('a re-run restores what the archive lost: %s', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  let account: MailAccount;
  let base: string;
  const folders = ARCHIVED_FOLDERS;

  beforeAll(async () => {
    ({ bed, account, base } = await openArchivedBed(entry, `fanout-rerun-${entry}-`));
  }, 120_000);
  afterAll(async () => {
    await bed?.stop();
  });

  const inbox = (out: string) => archivedFolderDir(accountDir({ outDir: out, account }), 'INBOX');

  /** A copy of the complete archive, damaged by `damage`, re-run (quick listing or not): the summary and the copy's account folder. */
  async function rerun(label: string, quick: boolean, damage: (out: string) => void): Promise<{ summary: JobSummary; root: string; warnings: string[] }> {
    const out = join(bed.base, `${label}-${quick ? 'quick' : 'full'}`);
    rmSync(out, { recursive: true, force: true });
    cpSync(base, out, { recursive: true, preserveTimestamps: true });
    damage(out);
    const warnings: string[] = [];
    const summary = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl((e) => {
      if (e.kind === 'job:warning') warnings.push(e.message);
    }), { quickList: quick });
    return { summary, root: accountDir({ outDir: out, account }), warnings };
  }

  /** Every message archived byte for byte, once; each folder's numbers add up and equal its index lines. */
  async function expectWhole(r: { summary: JobSummary; root: string }) {
    expect(r.summary.failures).toEqual([]);
    expect(r.summary.status).toBe('succeeded');
    await expectFoldersArchivedOnce(bed.srv, r.root, folders);
    for (const t of r.summary.mailFolders ?? []) {
      expect(t.onServer, t.folder).toBe(t.archivedBefore + t.fetched + t.vanished);
      expect(readIndex(archivedFolderDir(r.root, t.folder)).length, `${t.folder} index lines`).toBe(t.onServer);
    }
  }

  const tallyOf = (s: JobSummary, folder: string) => {
    const t = s.mailFolders?.find((x) => x.folder === folder);
    return t && [t.onServer, t.archivedBefore, t.fetched, t.vanished];
  };

  const emlNames = (dir: string) => readdirSync(dir).filter((n) => /^\d+\.eml$/.test(n)).sort((a, b) => parseInt(a) - parseInt(b));

  it.each([true, false])('a deleted .eml is fetched again, and a torn one (size not the index\'s) found with it and replaced; quick listing: %s', async (quick) => {
    const r = await rerun('deleted', quick, (out) => {
      const names = emlNames(inbox(out));
      unlinkSync(join(inbox(out), names[2]!));
      truncateSync(join(inbox(out), names[5]!), 100);
    });
    await expectWhole(r);
    expect(tallyOf(r.summary, 'INBOX')).toEqual([12, 10, 2, 0]);
    expect(r.summary.itemsDone).toBe(2);
    // The re-run's repair left a complete archive: the next run has nothing to do.
    const again = await runMailJob({ kind: 'mail', account, outDir: join(r.root, '..'), connections: 2, strategy: 'adaptive' }, createJobControl(), { quickList: quick });
    expect([again.status, again.itemsDone, again.itemsSkipped]).toEqual(['succeeded', 0, 15]);
  }, 120_000);

  it.each([true, false])('index lines lost (10 of 12 left): the files still whole are taken back, the index has 12 lines; quick listing: %s', async (quick) => {
    const r = await rerun('lines', quick, (out) => {
      const file = join(inbox(out), 'index.jsonl');
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      writeFileSync(file, `${lines.slice(0, 10).join('\n')}\n`);
    });
    await expectWhole(r);
    // Their files are whole (the server's size): recorded again, not fetched.
    expect(tallyOf(r.summary, 'INBOX')).toEqual([12, 12, 0, 0]);
    expect(r.warnings.join('\n')).toMatch(/INBOX: 2 message\(s\)/);
  }, 120_000);

  it.each([true, false])('index.jsonl deleted: every file taken back, nothing fetched; quick listing: %s', async (quick) => {
    const r = await rerun('noindex', quick, (out) => unlinkSync(join(inbox(out), 'index.jsonl')));
    await expectWhole(r);
    expect(tallyOf(r.summary, 'INBOX')).toEqual([12, 12, 0, 0]);
  }, 120_000);

  it.each([true, false])('state.json deleted, files and index kept: nothing fetched, nothing twice; quick listing: %s', async (quick) => {
    const r = await rerun('nostate', quick, (out) => unlinkSync(join(inbox(out), 'state.json')));
    await expectWhole(r);
    expect(tallyOf(r.summary, 'INBOX')).toEqual([12, 12, 0, 0]);
    expect(r.summary.itemsDone).toBe(0);
  }, 120_000);

  it.each([true, false])('the folder\'s directory deleted whole: fetched again; quick listing: %s', async (quick) => {
    const r = await rerun('nodir', quick, (out) => rmSync(inbox(out), { recursive: true }));
    await expectWhole(r);
    expect(tallyOf(r.summary, 'INBOX')).toEqual([12, 0, 12, 0]);
  }, 120_000);

  it.each([true, false])('folders.json deleted: the same directories, nothing fetched, nothing twice; quick listing: %s', async (quick) => {
    let before: string[] = [];
    const r = await rerun('nofolders', quick, (out) => {
      const root = accountDir({ outDir: out, account });
      before = readdirSync(root).sort();
      unlinkSync(join(root, 'folders.json'));
    });
    await expectWhole(r);
    expect(readdirSync(r.root).sort()).toEqual(before);
    expect(r.summary.itemsDone).toBe(0);
  }, 120_000);

  it('fanout mail (the CLI): its first node sees the work (no "nothing new"), restores the file and prints numbers that add up', async () => {
    const out = join(bed.base, 'cli');
    rmSync(out, { recursive: true, force: true });
    cpSync(base, out, { recursive: true, preserveTimestamps: true });
    const name = emlNames(inbox(out))[7]!;
    unlinkSync(join(inbox(out), name));
    // The decision fanout mail takes in its first node, on the same listing.
    const spec = { account, outDir: out, timeoutMs: 30_000, folders: 'all' as const };
    expect(startEarlyQuickList(account, out, spec.timeoutMs)).toBe(true);
    expect(await earlyListingShowsWork(spec)).toBe(true);
    const r = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'cli-entry.ts'), 'mail', '--host', account.host, '--port', String(account.port), '--tls', 'none', '--user', bed.srv.user, '--password-env', 'FANOUT_TEST_PW', '--out', out],
      { env: { ...process.env, FANOUT_TEST_PW: bed.srv.password } },
    );
    expect(r.stderr).toMatch(/INBOX\s+12 = 11 \+ 1 \+ 0/);
    expect(r.stderr).toMatch(/fetched again/);
    await expectFoldersArchivedOnce(bed.srv, accountDir({ outDir: out, account }), folders);
  }, CLI_FROM_SOURCE_TEST_MS);

  // Dovecot keeps folder names apart by case (its Maildir on Linux); the directories then differ by a suffix.
  it.runIf(entry === 'dovecot')('folders.json lost when two folders differ only by case: each keeps its own directory (from its state.json), nothing fetched', async () => {
    const out = join(bed.base, 'case');
    rmSync(out, { recursive: true, force: true });
    const when = new Date(Date.UTC(2021, 3, 4));
    const job = () => runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl());
    await bed.admin.mailboxCreate('caseb');
    await bed.admin.append('caseb', 'From: a@x\r\nSubject: lower\r\n\r\nlower\r\n', [], when);
    expect((await job()).failures).toEqual([]);
    await bed.admin.mailboxCreate('CaseB');
    await bed.admin.append('CaseB', 'From: a@x\r\nSubject: upper\r\n\r\nupper one\r\n', [], when);
    await bed.admin.append('CaseB', 'From: a@x\r\nSubject: upper\r\n\r\nupper two\r\n', [], when);
    expect((await job()).failures).toEqual([]);
    const root = accountDir({ outDir: out, account });
    const mapping = readFileSync(join(root, 'folders.json'), 'utf8');
    const dirs = readdirSync(root).sort();
    unlinkSync(join(root, 'folders.json'));
    const s = await job();
    expect(s.failures).toEqual([]);
    expect(s.itemsDone).toBe(0);
    expect(JSON.parse(readFileSync(join(root, 'folders.json'), 'utf8'))).toEqual(JSON.parse(mapping));
    expect(readdirSync(root).sort()).toEqual(dirs);
    for (const [path, n] of [['caseb', 1], ['CaseB', 2]] as const) expect(readIndex(archivedFolderDir(root, path)).length, path).toBe(n);
    await bed.admin.mailboxDelete('caseb');
    await bed.admin.mailboxDelete('CaseB');
  }, 120_000);

  it('a re-run stopped before the lost file came again leaves the index as it was (its line kept, state.json not updated); the next run restores it', async () => {
    const out = join(bed.base, 'stopped');
    rmSync(out, { recursive: true, force: true });
    cpSync(base, out, { recursive: true, preserveTimestamps: true });
    const dir = inbox(out);
    const lines = readFileSync(join(dir, 'index.jsonl'), 'utf8');
    const state = readFileSync(join(dir, 'state.json'), 'utf8');
    const name = emlNames(dir)[4]!;
    unlinkSync(join(dir, name));
    const control = createJobControl();
    const s = await runMailJob({ kind: 'mail', account, outDir: out, connections: 1, strategy: 'adaptive' }, control, {
      beforeFetch: async () => control.abort(),
    });
    expect(s.status).toBe('cancelled');
    expect(readFileSync(join(dir, 'index.jsonl'), 'utf8').split('\n').sort()).toEqual(lines.split('\n').sort());
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(state);
    const again = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl());
    await expectWhole({ summary: again, root: accountDir({ outDir: out, account }) });
    expect(tallyOf(again, 'INBOX')).toEqual([12, 11, 1, 0]);
  }, 120_000);

  it('a folder recreated on the server (new UIDVALIDITY, messages linked to the old files): a linked file deleted is fetched again into the new generation', async () => {
    const out = join(bed.base, 'generation');
    rmSync(out, { recursive: true, force: true });
    const path = serverPath(bed.srv, 'Regen');
    const job = () => runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive', folders: [path] }, createJobControl());
    try {
      await fillFolder(bed.admin, path, 'regen', [1, 2, 3]);
      expect((await job()).itemsDone).toBe(3);
      await recreateFolder(bed.admin, path, 'regen', [1, 2, 3]);
      const linked = await job();
      expect([linked.status, linked.itemsDone]).toEqual(['succeeded', 0]);
      const root = accountDir({ outDir: out, account });
      const dir = archivedFolderDir(root, path);
      const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { generations: Array<{ uidValidity: string; dir: string }> };
      expect(state.generations.length).toBe(2);
      const current = readIndex(dir).filter((r) => r.uidValidity === state.generations[1]!.uidValidity);
      // Linked: the new generation's lines name the old generation's files.
      expect(current.every((r) => !r.file.includes('/'))).toBe(true);
      unlinkSync(join(dir, current[1]!.file));
      const s = await job();
      expect(s.failures).toEqual([]);
      expect(tallyOf(s, path)).toEqual([3, 2, 1, 0]);
      const admin = await bed.srv.connect();
      try {
        const { expectArchived } = await import('./archive-files');
        expect(await expectArchived(admin, path, dir)).toBe(3);
      } finally {
        await admin.logout();
      }
      const again = await job();
      expect([again.status, again.itemsDone]).toEqual(['succeeded', 0]);
    } finally {
      await bed.admin.mailboxDelete(path).catch(() => undefined);
    }
  }, 120_000);

  // A torn file alone keeps the folder's file count and index, not its bytes: since session 15 a run
  // with nothing new sees it too (rerun-torn-alone.test.ts); here the run that plans the folder for new
  // mail replaces it with the new message, and `verify mail` (it hashes) finds it before. Near the end:
  // it adds a message to Archive on the server.
  it('a torn file alone: verify reports it; the next run that plans the folder (new mail) replaces it', async () => {
    const out = join(bed.base, 'torn-only');
    rmSync(out, { recursive: true, force: true });
    cpSync(base, out, { recursive: true, preserveTimestamps: true });
    const root = accountDir({ outDir: out, account });
    const archive = serverPath(bed.srv, 'Archive');
    const dir = archivedFolderDir(root, archive);
    const torn = emlNames(dir)[1]!;
    truncateSync(join(dir, torn), 50);
    const { verifyMailLocal } = await import('../../../electron/engine/verify/verify-mail');
    expect((await verifyMailLocal(root)).corrupt.map((c) => [c.where, c.file])).toEqual([[archive, torn]]);
    const when = new Date(Date.UTC(2023, 7, 8));
    await bed.admin.append(archive, 'From: a@x\r\nSubject: new\r\n\r\nnew mail\r\n', [], when);
    const s = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl());
    expect(s.failures).toEqual([]);
    expect(tallyOf(s, archive)).toEqual([4, 2, 2, 0]);
    const admin = await bed.srv.connect();
    try {
      const { expectArchived } = await import('./archive-files');
      expect(await expectArchived(admin, archive, dir)).toBe(4);
    } finally {
      await admin.logout();
    }
    expect((await verifyMailLocal(root)).corrupt).toEqual([]);
  }, 120_000);

  // Last: it deletes a message on the server.
  it('a deleted .eml whose message the server no longer holds: its index line is kept, the run says so', async () => {
    const out = join(bed.base, 'gone');
    rmSync(out, { recursive: true, force: true });
    cpSync(base, out, { recursive: true, preserveTimestamps: true });
    // The server drops one message; its archived file is deleted too.
    const dir = inbox(out);
    const rec = readIndex(dir)[0]!;
    await bed.admin.mailboxOpen('INBOX');
    try {
      await bed.admin.messageDelete(String(rec.uid), { uid: true });
    } finally {
      await bed.admin.mailboxClose();
    }
    unlinkSync(join(dir, rec.file));
    const warnings: string[] = [];
    const s = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl((e) => {
      if (e.kind === 'job:warning') warnings.push(e.message);
    }));
    expect(s.failures).toEqual([]);
    expect(readIndex(dir).some((r) => r.uid === rec.uid)).toBe(true);
    expect(warnings.join('\n')).toMatch(new RegExp(`INBOX: .*UID ${rec.uid}\\b.*no longer`));
  }, 120_000);
});
