import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { runMailJob, accountDir, type MailJobExtras } from '../../../electron/engine/mail/run-mail-job';
import { verifyMailArchive } from '../../../electron/engine/verify/verify-mail';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { ArchivedFile } from '../../../electron/engine/mail/plan-folder';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, expectArchived, readIndex } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

/**
 * `fanout verify mail --repair`'s engine side (runMailJob's `repair`): a file damaged in place with
 * its size and mtime kept is seen only by verify's hash; a run asked to repair it fetches just that
 * message again, on each real server. Files of an older generation are left alone.
 */
describe.each(['dovecot', 'cyrus', 'courier'] as const)('mail: repair what verify found damaged (%s)', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  let account: MailAccount;
  let root: string;
  let p: string;

  const run = (extras: MailJobExtras = {}) =>
    runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 2, strategy: 'adaptive', folders: 'all' }, createJobControl(), extras);
  const verify = () => verifyMailArchive({ account, outDir: bed.out, folders: 'all', sample: 0, timeoutMs: 20_000 });

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer(entry), {
      tmpPrefix: `fanout-repair-${entry}-`,
      folders: (s) => [{ path: serverPath(s, 'Kept'), count: 6 }],
      seed: 31,
      crlf: true,
    });
    account = bed.account();
    root = accountDir({ outDir: bed.out, account });
    p = serverPath(bed.srv, 'Kept');
    const first = await run();
    expect(first.failures).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
  });

  it('a file damaged in place (same size and mtime): a plain run does not see it, verify does, the repair fetches that message alone', async () => {
    const dir = archivedFolderDir(root, p);
    const rec = readIndex(dir)[2]!;
    const file = join(dir, rec.file);
    const st = statSync(file);
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x20;
    writeFileSync(file, bytes);
    utimesSync(file, st.atime, st.mtime);

    const plain = await run();
    expect(plain.failures).toEqual([]);
    expect(plain.itemsDone).toBe(0);
    const found = await verify();
    expect(found.corrupt.map((c) => [c.where, c.uid])).toEqual([[p, rec.uid]]);

    const repair: Record<string, ArchivedFile[]> = {};
    for (const c of found.corrupt) if (c.uid !== undefined && c.file !== undefined) (repair[c.where] ??= []).push({ uid: c.uid, file: c.file });
    const repaired = await run({ repair });
    expect(repaired.failures).toEqual([]);
    expect(repaired.status).toBe('succeeded');
    expect(repaired.itemsDone).toBe(1);
    expect((await verify()).ok).toBe(true);
    expect(await expectArchived(bed.admin, p, dir)).toBe(6);
    // The index keeps one line per UID, and the next run has nothing to do.
    const uids = readIndex(dir).map((r) => r.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect((await run()).itemsDone).toBe(0);
  }, 60_000);

  it('a repair naming a file the index does not name for that UID (another generation, a stale report) fetches nothing', async () => {
    const dir = archivedFolderDir(root, p);
    const rec = readIndex(dir)[0]!;
    const s = await run({ repair: { [p]: [{ uid: rec.uid, file: `uidvalidity-1/${rec.uid}.eml` }] } });
    expect(s.failures).toEqual([]);
    expect(s.itemsDone).toBe(0);
  }, 60_000);
});
