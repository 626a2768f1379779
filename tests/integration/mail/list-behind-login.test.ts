import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { closeClient, openClient } from '../../../electron/engine/mail/connect';
import { listFoldersOn, type MailFolderInfo } from '../../../electron/engine/mail/folders';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import type { MailAccount } from '../../../shared/job-spec';
import { startCommandRelay, type CommandRelay } from './command-relay';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

/**
 * The planning connection writes its folder listing in LOGIN's write (list-behind-login.ts) and
 * lists from that answer: the same folders as imapflow's own LIST gives (paths, directories,
 * hierarchy, selectability and every number a job uses), one round trip fewer. Courier drops what
 * follows LOGIN and announces no LIST-STATUS: there imapflow lists as before.
 */
describe.each(['dovecot', 'cyrus', 'cyrus-slash', 'courier'] as const)('the folder listing behind LOGIN: %s', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  let relay: CommandRelay;
  let account: MailAccount;
  const behindLogin = entry !== 'courier';

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer(entry), {
      tmpPrefix: `fanout-behind-${entry}-`,
      crlf: true,
      folders: (srv) => [
        { path: 'INBOX', count: 3 },
        { path: serverPath(srv, 'Archive/2024'), count: 2 },
        { path: serverPath(srv, 'Entwürfe'), count: 1 },
        { path: serverPath(srv, 'Sent Items'), count: 2 },
      ],
    });
    relay = await startCommandRelay(bed.srv.port);
    account = bed.account({ port: relay.port });
  }, 120_000);
  afterAll(async () => {
    await relay?.stop();
    await bed?.stop();
  });

  /** What a job reads of a folder (not unseen, flags and special use: the UI's). */
  const jobFields = (fs: MailFolderInfo[]) => fs.map(({ path, name, delimiter, parent, selectable, messages, uidNext, uidValidity, highestModseq, dir }) => ({ path, name, delimiter, parent, selectable, messages, uidNext, uidValidity, highestModseq, dir }));

  async function listed(listBehind: boolean): Promise<{ folders: MailFolderInfo[]; writes: string[][] }> {
    relay.writes.length = 0;
    const client = await openClient(account, listBehind ? { login: { listBehindLogin: true } } : {});
    try {
      const folders = await listFoldersOn(client, {});
      return { folders, writes: relay.writes[0]!.filter((w) => w.length > 0) };
    } finally {
      await closeClient(client);
    }
  }

  it(`lists the folders imapflow lists${behindLogin ? ', LIST in the write of LOGIN' : ' (Courier: imapflow lists)'}`, async () => {
    const plain = await listed(false);
    const behind = await listed(true);
    expect(jobFields(behind.folders)).toEqual(jobFields(plain.folders));
    expect(plain.folders.map((f) => f.path)).toContain(serverPath(bed.srv, 'Entwürfe'));
    expect(plain.folders.find((f) => f.path === serverPath(bed.srv, 'Archive/2024'))).toMatchObject({ messages: 2 });
    const lists = (writes: string[][]) => writes.flat().filter((c) => c === 'LIST').length;
    expect(behind.writes.find((w) => w.includes('LOGIN'))).toContain('LIST');
    // Dovecot and Cyrus: that LIST is all. Courier drops it: imapflow then lists as it does without it.
    expect(lists(behind.writes)).toBe(behindLogin ? 1 : lists(plain.writes) + 1);
  });

  it('a first run archives every folder, its planning connection listing behind LOGIN', async () => {
    relay.sessions.length = 0;
    relay.writes.length = 0;
    const out = join(bed.base, 'job');
    const summary = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl());
    expect(summary.failures).toEqual([]);
    expect(summary.itemsDone).toBe(8);
    // The planning connection's LOGIN write carries the LIST (the other connection's does not).
    expect(relay.writes.filter((ws) => ws.some((w) => w.includes('LOGIN') && w.includes('LIST')))).toHaveLength(1);
    expect(summary.mailFolders?.map((t) => [t.folder, t.onServer, t.fetched])).toEqual(
      (await listed(false)).folders.filter((f) => f.selectable).map((f) => [f.path, f.messages, f.messages]),
    );
    const dirs = (JSON.parse(readFileSync(join(accountDir({ outDir: out, account }), 'folders.json'), 'utf8')) as { dirs: Record<string, string> }).dirs;
    expect(dirs).toEqual(Object.fromEntries((await listed(false)).folders.map((f) => [f.path, f.dir])));
  });
});
