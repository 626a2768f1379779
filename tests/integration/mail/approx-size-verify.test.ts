import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapTestServer } from '../../harness/imap-server';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { archivedFolderDir, readIndex } from './archive-files';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { verifyMailArchive } from '../../../electron/engine/verify/verify-mail';
import type { MailAccount } from '../../../shared/job-spec';
import { openApproxSizeBed, type ApproxSizeBed } from './approx-size-bed';
import type { MailTestBed } from './mail-test-bed';

/**
 * HE s18 F5: since 80475bd a message whose body length is not its RFC822.SIZE (a server that only
 * approximates it, Exchange) is archived as the server sent it (record size = body bytes). `fanout
 * verify` still compares every record's size with RFC822.SIZE (verify-mail.ts: `rec.size !== m.size`
 * → corrupt, reason 'size'): every such message is reported corrupt, and --repair fetches it again to
 * the same record, for ever. Same relay as approx-size.test.ts (RFC822.SIZE + 3 on every message).
 * Now the index line keeps the size the server announced (`serverSize`) and verify compares with it.
 */
describe.each(['dovecot', 'cyrus', 'courier'] as const)('approx RFC822.SIZE: archive then verify (%s)', (entry) => {
  let approx: ApproxSizeBed;
  let bed: MailTestBed<ImapTestServer>;
  let account: MailAccount;
  let path = '';

  beforeAll(async () => {
    approx = await openApproxSizeBed(entry, { tmpPrefix: `fanout-he-approx-verify-${entry}-`, fill: { count: 12 }, seed: 59 });
    ({ bed, account, path } = approx);
  }, 120_000);

  afterAll(async () => {
    await approx?.stop();
  });

  it('an archive the job calls complete verifies OK against the same server', async () => {
    // Messages of 4,000 bytes or more in 2,000-byte pieces (#fetchLarge), the others held (#fetchSmall): both paths.
    const limits = { largeMessageBytes: 4_000, partBytes: 2_000 };
    const run = () => runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 1, strategy: 'adaptive', folders: [path], timeoutMs: 20_000 }, createJobControl(), { limits });
    const res = await run();
    expect(res.status).toBe('succeeded');
    expect(res.itemsDone).toBe(12);
    // Each line says the size the server announced (the body's length + 3 behind this relay).
    const recs = readIndex(archivedFolderDir(accountDir({ outDir: bed.out, account }), path));
    expect(recs.filter((r) => r.serverSize !== r.size + 3).map((r) => `${r.uid}: ${r.size} / ${r.serverSize}`)).toEqual([]);
    expect(recs.filter((r) => r.size >= limits.largeMessageBytes).length).toBeGreaterThan(0);
    expect((await run()).itemsDone).toBe(0);
    const report = await verifyMailArchive({ account, outDir: bed.out, folders: [path], sample: 3, timeoutMs: 20_000 });
    const corrupt = report.corrupt.map((p) => `${p.uid}: ${p.reason}: ${p.detail}`);
    console.log('verify corrupt:', corrupt.slice(0, 3), corrupt.length);
    expect(corrupt).toEqual([]);
  }, 120_000);
});
