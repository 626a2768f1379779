import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, expectArchived, fillFolder, readIndex, recreateFolder } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { responseBytes, startResponseRelay, type ResponseRelay } from './response-relay';

/**
 * A server whose EXAMINE gives no UIDVALIDITY (a relay takes `* OK [UIDVALIDITY n]` out; RFC 3501
 * requires it, none of the three servers omits it), and the folder recreated on the server after
 * the job listed it, just before the job's EXAMINE (the relay holds that command until it is
 * done). Session 17 (6452a02) took the listed UIDVALIDITY for the folder's: the new folder's
 * messages were taken for the old archive's same UIDs (not fetched; UID 4 of the new folder filed
 * in the old generation) and the job succeeded. The UIDVALIDITY is now asked with STATUS after the
 * EXAMINE: the new folder is a new generation, every message of it archived.
 */
const SERVERS = ['dovecot', 'cyrus', 'courier'] as const;

describe.each(SERVERS)('mail: EXAMINE without UIDVALIDITY, the folder recreated after the listing (%s behind a relay)', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  let relay: ResponseRelay;
  let account: MailAccount;
  let path = '';
  /** Set: the next EXAMINE of the folder waits for it. */
  let beforeExamine: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer(entry), { tmpPrefix: `fanout-no-uv-recreated-${entry}-` });
    path = serverPath(bed.srv, 'Again');
    await fillFolder(bed.admin, path, 'old', [1, 2, 3]);
    relay = await startResponseRelay(
      bed.srv.port,
      (r) => (r.texts.length === 1 && /^\* OK \[UIDVALIDITY \d+\]/i.test(r.texts[0]!) ? Buffer.alloc(0) : responseBytes(r)),
      (line) => {
        if (!beforeExamine || !/ EXAMINE /i.test(line) || !line.includes(path)) return;
        const f = beforeExamine;
        beforeExamine = null;
        return f();
      },
    );
    account = bed.account({ host: '127.0.0.1', port: relay.port });
  }, 120_000);

  afterAll(async () => {
    await relay?.stop();
    await bed?.stop();
  });

  it('the recreated folder is archived whole as a new generation', async () => {
    const run = () => runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 1, strategy: 'adaptive', folders: [path] }, createJobControl());
    const first = await run();
    expect(first.failures).toEqual([]);
    expect(first.itemsDone).toBe(3);
    const dir = archivedFolderDir(accountDir({ outDir: bed.out, account }), path);
    const old = readIndex(dir)[0]!.uidValidity;
    // Something new, so the second run plans the folder (not skipped on its listed numbers).
    await bed.admin.append(path, 'From: a@x\r\nSubject: old 4\r\n\r\nbody 4\r\n', [], new Date(Date.UTC(2022, 5, 6)));
    beforeExamine = () => recreateFolder(bed.admin, path, 'new', [1, 2, 3, 4]);
    const second = await run();
    expect(beforeExamine).toBeNull();
    expect(second.failures).toEqual([]);
    const st = await bed.admin.status(path, { uidValidity: true });
    expect(String(st && st.uidValidity)).not.toBe(old);
    // Every message the server now holds, in its current generation, byte for byte.
    expect(await expectArchived(bed.admin, path, dir)).toBe(4);
    expect(second.itemsDone).toBe(4);
  }, 120_000);
});
