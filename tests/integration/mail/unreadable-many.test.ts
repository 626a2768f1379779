import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImapServer } from '../../harness/imap-servers';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { archivedFolderDir, readIndex } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

/**
 * HE s19 (22f702a's sibling): a store restored with another owner's files has MANY messages the
 * server cannot read. Dovecot ends the session at each; each try of a chunk marks one more UID
 * (the first not returned), so a chunk with as many unreadable messages as the job's tries (5)
 * still never archives the readable messages after the last one marked, run after run.
 */
function filesHolding(root: string, needle: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size < 1_000_000 && readFileSync(p).includes(needle)) out.push(p);
    }
  };
  walk(root);
  return out;
}

describe('mail: five messages the server cannot read in one chunk (dovecot)', () => {
  let bed: MailTestBed<ImapTestServer>;
  let path = '';
  const BAD = [2, 3, 4, 5, 6];

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer('dovecot'), { tmpPrefix: 'fanout-unreadable-many-', folders: (s) => [{ path: serverPath(s, 'Bad'), count: 12 }], seed: 81, crlf: true });
    path = serverPath(bed.srv, 'Bad');
  }, 120_000);
  afterAll(async () => {
    await bed?.stop();
  });

  it('every readable message is archived in one run', async () => {
    await bed.admin.mailboxOpen(path, { readOnly: true });
    const ids: string[] = [];
    for (const uid of BAD) ids.push((await bed.admin.fetchOne(String(uid), { uid: true, envelope: true }, { uid: true }) || undefined)!.envelope!.messageId!);
    await bed.admin.mailboxClose();
    for (const id of ids) {
      const files = filesHolding(bed.srv.dir, id).filter((f) => /\/cur\/|\/new\//.test(f));
      expect(files.length, files.join(', ')).toBe(1);
      chmodSync(files[0]!, 0);
    }
    const account = bed.account();
    const s = await runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 1, strategy: 'adaptive', folders: [path], timeoutMs: 10_000 }, createJobControl());
    expect(s.status).toBe('failed');
    const dir = archivedFolderDir(accountDir({ outDir: bed.out, account }), path);
    expect(readIndex(dir).map((r) => r.uid).sort((a, b) => a - b)).toEqual([1, 7, 8, 9, 10, 11, 12]);
  }, 120_000);
});
