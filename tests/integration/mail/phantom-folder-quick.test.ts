/**
 * HE s15 (F0b): 074d7b0 skips (with a warning) a folder Dovecot (maildir++) keeps listing after it
 * was deleted while it had a subfolder (\HasChildren only; EXAMINE: does not exist; its LIST-STATUS
 * line has no STATUS). The skip is remembered in the folder's state.json (`unopenable`), so every
 * later nothing-new run takes the quick path again (one connection: LOGIN, LIST, LOGOUT) and the
 * warning is given once, not on every run. Re-created on the server, the folder is archived again
 * normally (a new generation) and the mark is gone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { makeMessage } from '../../harness/dovecot-fill';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob, type MailJobExtras } from '../../../electron/engine/mail/run-mail-job';
import type { FolderState } from '../../../electron/engine/mail/generations';
import type { JobSummary } from '../../../shared/events';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, expectArchived, readIndex } from './archive-files';
import { startCommandRelay, type CommandRelay } from './command-relay';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

describe('a phantom parent folder (Dovecot) and the quick path', () => {
  let bed: MailTestBed<ImapTestServer>;
  let relay: CommandRelay;
  let account: MailAccount;
  let out: string;
  /** The run after the deletion (the first to find the folder unopenable) and its warnings. */
  let skipRun: { summary: JobSummary; warnings: string[] };
  const parent = () => serverPath(bed.srv, 'Parent');
  const parentState = () => JSON.parse(readFileSync(join(archivedFolderDir(accountDir({ outDir: out, account }), parent()), 'state.json'), 'utf8')) as FolderState;

  const run = async (extras: MailJobExtras = {}) => {
    const warnings: string[] = [];
    const summary = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl((e) => {
      // The relay's plain connection is warned about on every run (mailAccountWarnings): not this test's.
      if (e.kind === 'job:warning' && !e.message.startsWith('Cleartext IMAP')) warnings.push(e.message);
    }), { quickList: true, ...extras });
    return { summary, warnings };
  };

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer('dovecot'), {
      tmpPrefix: 'fanout-he-phantom-',
      crlf: true,
      folders: (srv) => [{ path: 'INBOX', count: 2 }, { path: serverPath(srv, 'Parent'), count: 2 }, { path: serverPath(srv, 'Parent/Child'), count: 1 }],
    });
    relay = await startCommandRelay(bed.srv.port);
    account = bed.account({ port: relay.port });
    out = join(bed.base, 'out');
    const first = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive' }, createJobControl());
    expect(first.failures).toEqual([]);
    await bed.admin.mailboxDelete(parent());
    // The run after the deletion: skipped with a warning (074d7b0).
    skipRun = await run();
  }, 120_000);
  afterAll(async () => {
    await relay?.stop();
    await bed?.stop();
  });

  it('the run that finds it unopenable warns once and remembers it in its state.json (archive kept)', () => {
    expect(skipRun.summary.status).toBe('succeeded');
    expect(skipRun.warnings.filter((w) => w.includes('cannot be opened'))).toHaveLength(1);
    expect(skipRun.warnings.join('\n')).toMatch(new RegExp(`${parent()}: .*cannot be opened`));
    const state = parentState();
    expect(typeof state.unopenable?.since).toBe('string');
    expect(state.synced?.messages).toBe(2);
    expect(readIndex(archivedFolderDir(accountDir({ outDir: out, account }), parent())).length).toBe(2);
  });

  it('the next nothing-new run is quick again (LOGIN LIST LOGOUT), with no warning', async () => {
    relay.sessions.length = 0;
    const decisions: string[] = [];
    const { summary: s, warnings } = await run({ onQuickListing: (d) => decisions.push(d) });
    expect(s.status).toBe('succeeded');
    expect(s.itemsDone).toBe(0);
    expect(decisions).toEqual(['unchanged']);
    expect({ sessions: relay.sessions, warnings }).toEqual({ sessions: [['LOGIN', 'LIST', 'LOGOUT']], warnings: [] });
    // The same tallies as the full path gives (no tally for the skipped folder).
    expect(s.mailFolders?.map((t) => t.folder)).toEqual(skipRun.summary.mailFolders?.map((t) => t.folder));
  }, 60_000);

  it('the full path (something new elsewhere) tries it again and stays silent about it', async () => {
    const date = new Date('2024-03-01T10:00:00Z');
    await bed.admin.append('INBOX', makeMessage(70_001, date, 0, () => 0.5), [], date);
    relay.sessions.length = 0;
    const { summary: s, warnings } = await run();
    expect(s.failures).toEqual([]);
    expect(s.itemsDone).toBe(1);
    expect(warnings).toEqual([]);
    // Asked again (a real check whenever the run connects), not taken on trust.
    expect(relay.sessions.flat()).toContain(`EXAMINE ${parent()}`);
    expect(typeof parentState().unopenable?.since).toBe('string');
  }, 60_000);

  it('the full path without the quick listing: the same, silent', async () => {
    const { summary: s, warnings } = await run({ quickList: false });
    expect(s.failures).toEqual([]);
    expect(s.itemsDone).toBe(0);
    expect(warnings).toEqual([]);
  }, 60_000);

  it('named with --folders: still that folder\'s failure (the quick listing does not skip it)', async () => {
    const s = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive', folders: [parent()] }, createJobControl(), { quickList: true });
    expect(s.failures.map((f) => f.error.code)).toEqual(['FOLDER_NOT_FOUND']);
    expect(typeof parentState().unopenable?.since).toBe('string');
  }, 60_000);

  it('re-created on the server: the next run archives it normally, and forgets the mark', async () => {
    await bed.admin.mailboxCreate(parent());
    const date = new Date('2024-03-02T10:00:00Z');
    await bed.admin.append(parent(), makeMessage(70_002, date, 0, () => 0.25), [], date);
    const { summary: s, warnings } = await run();
    expect(s.failures).toEqual([]);
    expect(warnings).toEqual([]);
    expect(s.mailFolders?.find((t) => t.folder === parent())).toMatchObject({ onServer: 1, fetched: 1 });
    expect(parentState().unopenable).toBeUndefined();
    const dir = archivedFolderDir(accountDir({ outDir: out, account }), parent());
    expect(await expectArchived(bed.admin, parent(), dir)).toBe(1);
    // The old generation's two messages are kept.
    expect(readIndex(dir).length).toBe(3);
    relay.sessions.length = 0;
    const again = await run();
    expect(again.summary.itemsDone).toBe(0);
    expect(relay.sessions).toEqual([['LOGIN', 'LIST', 'LOGOUT']]);
  }, 60_000);
});
