import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot } from '../../harness/dovecot';
import { startCourier } from '../../harness/courier';
import type { ImapTestServer } from '../../harness/imap-server';
import { CLI_FROM_SOURCE_TEST_MS } from '../../harness/fanout-cli';
import { runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { verifyMailBoth } from './verify-cli';


/**
 * `fanout verify mail` when an archived folder is still listed on the server but can no longer be
 * opened. RFC 3501 6.3.4: deleting a folder that has subfolders removes its messages and leaves its
 * name as a `\Noselect` container. Courier does exactly that (`\Noselect \HasChildren`); Dovecot
 * (maildir++) keeps listing it with `\HasChildren` only (`LIST (SUBSCRIBED)` alone says
 * `\NonExistent`) and answers SELECT with "NO Mailbox doesn't exist". Before: on Courier the note
 * said "no longer on the server (deleted or renamed there)", while the server lists it; on Dovecot
 * verify failed outright on that SELECT (FOLDER_NOT_FOUND, no report). Now both are noted as what
 * is true: listed, no longer selectable; the archive (the only copy of its messages) re-hashed; a
 * note, not a problem. (Cyrus refuses such a DELETE: "Mailbox has inferior hierarchical names".)
 */
const SERVERS: Array<{ name: string; start: () => Promise<ImapTestServer>; why: string }> = [
  { name: 'Dovecot', start: () => startDovecot({}), why: 'the server cannot open it; its subfolders remain' },
  { name: 'Courier', start: () => startCourier({}), why: '\\Noselect' },
];

describe.each(SERVERS)('fanout verify mail: an archived folder listed on the server but no longer selectable ($name)', ({ start, why }) => {
  let bed: MailTestBed<ImapTestServer>;
  let parent: string;
  const verify = (...more: string[]) => verifyMailBoth(bed.srv, bed.out, more);

  beforeAll(async () => {
    bed = await openMailTestBed(start, {
      tmpPrefix: 'fanout-verify-noselect-',
      folders: (srv) => [{ path: 'INBOX', count: 4 }, { path: `${srv.prefix}Parent`, count: 5 }, { path: `${srv.prefix}Parent${srv.separator}Child`, count: 3 }],
      seed: 12,
      crlf: true,
    });
    parent = `${bed.srv.prefix}Parent`;
    const account = bed.account({ host: '127.0.0.1' });
    const summary = await runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 2 }, createJobControl());
    expect(summary.status).toBe('succeeded');
    // A folder with a subfolder, deleted: its name stays listed, with the subfolder under it, and cannot be opened.
    await bed.admin.mailboxDelete(parent);
    const listed = await bed.admin.list();
    expect(listed.map((l) => l.path).sort()).toEqual(['INBOX', parent, `${parent}${bed.srv.separator}Child`]);
    await expect(bed.admin.mailboxOpen(parent, { readOnly: true })).rejects.toThrow();
  }, 60_000);

  afterAll(async () => {
    await bed?.stop();
  });

  it('the folder is noted as listed but no longer selectable, its archive re-hashed, exit 0', async () => {
    const r = await verify();
    expect(r.code, r.text).toBe(0);
    expect(r.report.ok).toBe(true);
    expect(r.report.checked.files).toBe(12);
    expect(r.report.checked.serverMessages).toBe(7);
    expect(r.report.notes).toEqual([
      { where: parent, detail: `archived (5 messages), listed on the server but no longer selectable (${why}): its messages are gone from there, the archive is their only copy; its files were re-hashed` },
    ]);
    expect(r.text).toContain(`note: ${parent}: archived (5 messages), listed on the server but no longer selectable`);
    expect(r.text).not.toMatch(/no longer on the server/);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('--folders <it>: its archive is checked, the same note', async () => {
    const r = await verify('--folders', parent);
    expect(r.code, r.text).toBe(0);
    expect(r.report.missing).toEqual([]);
    expect(r.report.checked.files).toBe(5);
    expect(r.report.notes?.map((n) => n.where)).toEqual([parent]);
    expect(r.report.notes?.[0]?.detail).toMatch(/no longer selectable/);
  }, CLI_FROM_SOURCE_TEST_MS);
});
