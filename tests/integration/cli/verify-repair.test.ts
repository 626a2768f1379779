/**
 * `fanout verify mail --repair` through the real CLI (bin/fanout.js from the sources): a file damaged
 * in place with its size and mtime kept (a plain `fanout mail` run takes it as whole) is found by
 * verify's hash, fetched again alone by the repair job, the second report is OK (exit 0), and a plain
 * verify afterwards is OK too. With --json, stdout is one JSON document (before, after). The repair is
 * a `fanout mail` run of the folders holding those files: mail new there is archived too (--help says so).
 */
import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_FROM_SOURCE_TEST_MS, runFanoutCli } from '../../harness/fanout-cli';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { archivedFolderDir, expectArchived, readIndex } from '../mail/archive-files';
import { openMailTestBed, type MailTestBed } from '../mail/mail-test-bed';

describe.each(['dovecot', 'cyrus'] as const)('fanout verify mail --repair (%s)', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  let root: string;
  let folder: string;

  const verify = (...extra: string[]) =>
    runFanoutCli(['verify', 'mail', '--host', bed.srv.host, '--port', String(bed.srv.port), '--tls', 'none', '--user', bed.srv.user, '--password-env', 'FANOUT_TEST_PW', '--out', bed.out, ...extra], {
      env: { FANOUT_TEST_PW: bed.srv.password },
    });

  /** Flips one bit of the `n`-th indexed file of the folder, its size and mtime kept; returns its index record. */
  const damage = (n: number) => {
    const dir = archivedFolderDir(root, folder);
    const rec = readIndex(dir)[n]!;
    const file = join(dir, rec.file);
    const st = statSync(file);
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x20;
    writeFileSync(file, bytes);
    utimesSync(file, st.atime, st.mtime);
    return rec;
  };

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer(entry), {
      tmpPrefix: `fanout-verify-repair-${entry}-`,
      folders: (s) => [{ path: serverPath(s, 'Kept'), count: 5 }],
      seed: 17,
      crlf: true,
    });
    folder = serverPath(bed.srv, 'Kept');
    const account = bed.account();
    root = accountDir({ outDir: bed.out, account });
    const first = await runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 2, strategy: 'adaptive', folders: 'all' }, createJobControl());
    expect(first.failures).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
  });

  it('a byte flipped in place: reported corrupt, fetched again alone, the second report OK (exit 0); a plain verify then OK', async () => {
    const rec = damage(1);
    const plainBefore = await verify();
    expect(plainBefore.stdout).toMatch(new RegExp(`^corrupt: ${folder.replace(/[.]/g, '\\.')} UID ${rec.uid} ${rec.file.replace('.', '\\.')}: `, 'm'));
    expect(plainBefore.code).toBe(1);

    const r = await verify('--repair');
    expect(r.stdout).toMatch(/^PROBLEMS: .*; 0 missing, 1 corrupt, 0 extra$/m);
    expect(r.stderr).toMatch(/^repair: fetching again 1 archived message\(s\) of 1 folder\(s\), in a `fanout mail` run of those folders \(new mail there is archived too\)$/m);
    // The second report, after the repair, is the last thing on stdout.
    expect(r.stdout.trimEnd().split('\n').filter((l) => /^(OK|PROBLEMS): /.test(l))).toEqual([expect.stringMatching(/^PROBLEMS: /), expect.stringMatching(/^OK: 5 files re-hashed, 5 server messages compared/)]);
    expect(r.code).toBe(0);
    expect(await expectArchived(bed.admin, folder, archivedFolderDir(root, folder))).toBe(5);

    const after = await verify();
    expect(after.stdout).toMatch(/^OK: 5 files re-hashed/m);
    expect(after.code).toBe(0);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('--json --repair: one JSON document on stdout, the report before and the one after the repair', async () => {
    const rec = damage(3);
    const r = await verify('--repair', '--json');
    const doc = JSON.parse(r.stdout) as { before: { ok: boolean; corrupt: { uid?: number; file?: string }[] }; after: { ok: boolean } };
    expect(doc.before.ok).toBe(false);
    expect(doc.before.corrupt.map((p) => [p.uid, p.file])).toEqual([[rec.uid, rec.file]]);
    expect(doc.after.ok).toBe(true);
    expect(r.code).toBe(0);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('a file deleted and another damaged: both fetched again, exit 0', async () => {
    const dir = archivedFolderDir(root, folder);
    const gone = readIndex(dir)[0]!;
    rmSync(join(dir, gone.file));
    damage(4);
    const r = await verify('--repair');
    expect(r.stdout).toMatch(/^PROBLEMS: .*; 1 missing, 1 corrupt, 0 extra$/m);
    expect(r.stderr).toMatch(/^repair: fetching again 2 archived message\(s\) of 1 folder\(s\), in a `fanout mail` run of those folders \(new mail there is archived too\)$/m);
    expect(r.stdout).toMatch(/^OK: 5 files re-hashed/m);
    expect(r.code).toBe(0);
    expect(await expectArchived(bed.admin, folder, dir)).toBe(5);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('--repair of a whole archive: one report, no job (exit 0)', async () => {
    const r = await verify('--repair');
    expect(r.stdout.split('\n').filter((l) => /^(OK|PROBLEMS): /.test(l))).toEqual([expect.stringMatching(/^OK: 5 files/)]);
    expect(r.stderr).not.toMatch(/repair:/);
    expect(r.code).toBe(0);
  }, CLI_FROM_SOURCE_TEST_MS);

  // What the help says (s18, HE s17 nit: it said "a `fanout mail` run of just those"): the repair is a
  // run of the folders holding the files, so mail new there is archived too, and the second verify,
  // which compares those folders whole with the server, is OK.
  it('new mail beside a damaged file: the repair run archives it too (as --help says), the second report OK', async () => {
    const help = await runFanoutCli(['verify', 'mail', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/--repair .*a `fanout mail` run of the folders holding them, so mail new there since the last run is archived too/);
    await bed.admin.append(folder, 'From: a@x\r\nSubject: new since\r\n\r\nnew\r\n', [], new Date(Date.UTC(2023, 1, 2)));
    damage(2);
    const r = await verify('--repair');
    expect(r.stdout).toMatch(/^PROBLEMS: .*; 1 missing, 1 corrupt, 0 extra$/m);
    expect(r.stdout).toMatch(/^OK: 6 files re-hashed, 6 server messages compared/m);
    expect(r.code).toBe(0);
    expect(await expectArchived(bed.admin, folder, archivedFolderDir(root, folder))).toBe(6);
  }, CLI_FROM_SOURCE_TEST_MS);
});
