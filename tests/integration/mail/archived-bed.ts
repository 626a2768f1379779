import { join } from 'node:path';
import { expect } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runMailJob } from '../../../electron/engine/mail/run-mail-job';
import type { MailAccount } from '../../../shared/job-spec';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

/** The two folders (INBOX 12, Archive 3) the re-run tests damage copies of. */
export const ARCHIVED_FOLDERS = [
  { logical: 'INBOX', count: 12 },
  { logical: 'Archive', count: 3 },
] as const;

export interface ArchivedBed {
  bed: MailTestBed<ImapTestServer>;
  account: MailAccount;
  /** `<bed>/base`: the complete first archive, copied by each case before it damages it. */
  base: string;
}

/** A server of `entry` holding ARCHIVED_FOLDERS, and their complete archive made by a first run (15 messages, no failure). */
export async function openArchivedBed(entry: 'dovecot' | 'cyrus' | 'courier', tmpPrefix: string): Promise<ArchivedBed> {
  const bed = await openMailTestBed(() => startImapServer(entry), {
    tmpPrefix,
    crlf: true,
    folders: (srv) => ARCHIVED_FOLDERS.map((f) => ({ path: serverPath(srv, f.logical), count: f.count })),
  });
  const account = bed.account();
  const base = join(bed.base, 'base');
  const first = await runMailJob({ kind: 'mail', account, outDir: base, connections: 2, strategy: 'adaptive' }, createJobControl());
  expect(first.failures).toEqual([]);
  expect(first.itemsDone).toBe(15);
  return { bed, account, base };
}
