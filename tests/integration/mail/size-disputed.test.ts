import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, expectArchived } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { startHoldRelay, type HoldRelay } from './hold-relay';

/**
 * A body whose length is not the RFC822.SIZE planned is not written as that message unless the
 * server, asked again, still holds it (mid-run-changes.test.ts: Courier's placeholder for a message
 * expunged meanwhile). A server whose RFC822.SIZE is not its body's length (Exchange is known to
 * compute it apart from the body; here a relay adds 7 to one UID's size answer) still gets every
 * message archived: the body, held in its temp file until NOOP + UID SEARCH find the UID still
 * there, is committed (approx-size.test.ts: every size off, each body fetched once).
 */
describe('mail: RFC822.SIZE not the body\'s length, the message still there (Dovecot behind a relay)', () => {
  let bed: MailTestBed<DovecotServer>;
  let relay: HoldRelay;
  let account: MailAccount;

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot(), { tmpPrefix: 'fanout-size-disputed-', folders: [{ path: 'Sized', count: 10 }], seed: 41, crlf: true });
    relay = await startHoldRelay(bed.srv.port, {
      rewriteDown: (chunk) => Buffer.from(chunk.toString('latin1').replace(/(\* \d+ FETCH \(UID 3 RFC822\.SIZE )(\d+)\)/, (_m, head: string, n: string) => `${head}${Number(n) + 7})`), 'latin1'),
    });
    account = bed.account({ host: '127.0.0.1', port: relay.port });
  }, 60_000);

  afterAll(async () => {
    await relay?.stop();
    await bed?.stop();
  });

  it('every message archived byte for byte, success; the re-run has nothing to do', async () => {
    const run = () => runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 1, strategy: 'adaptive', folders: ['Sized'] }, createJobControl());
    const first = await run();
    expect(first.failures).toEqual([]);
    expect(first.status).toBe('succeeded');
    expect(first.itemsDone).toBe(10);
    const dir = archivedFolderDir(accountDir({ outDir: bed.out, account }), 'Sized');
    expect(await expectArchived(bed.admin, 'Sized', dir)).toBe(10);
    expect((await run()).itemsDone).toBe(0);
  }, 60_000);
});
