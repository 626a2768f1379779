import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapTestServer } from '../../harness/imap-server';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, expectArchived, readIndex } from './archive-files';
import { openApproxSizeBed, type ApproxSizeBed } from './approx-size-bed';
import type { MailTestBed } from './mail-test-bed';
import { bodyAsks, type ResponseRelay } from './response-relay';

/**
 * A server whose RFC822.SIZE is not the body's exact length (Exchange's "fast message retrieval"
 * approximates it, MS KB Q191504): here a relay adds 3 to every RFC822.SIZE, the bodies untouched
 * (HE s17 finding 1). Every message archived byte for byte, and each body asked for once: before
 * session 18 a small message at another length was dropped, checked (NOOP + UID SEARCH) and fetched
 * again on the retry (the folder downloaded twice), and a large one (partial FETCHes) failed every
 * try (its last piece short of the size announced).
 */
const SERVERS = ['dovecot', 'cyrus', 'courier'] as const;

describe.each(SERVERS)('mail: RFC822.SIZE approximate on every message (%s behind a relay)', (entry) => {
  let approx: ApproxSizeBed;
  let bed: MailTestBed<ImapTestServer>;
  let relay: ResponseRelay;
  let account: MailAccount;
  let path = '';

  beforeAll(async () => {
    approx = await openApproxSizeBed(entry, { tmpPrefix: `fanout-approx-size-${entry}-`, fill: { count: 16, big: { count: 4, bytes: 30_000 } }, seed: 57 });
    ({ bed, relay, account, path } = approx);
  }, 120_000);

  afterAll(async () => {
    await approx?.stop();
  });

  it('every message archived once, each body asked for once (small ones in one FETCH, large ones in pieces)', async () => {
    // Messages of 20,000 bytes or more go in 8,000-byte pieces (the 4 with a 30 kB attachment).
    const limits = { largeMessageBytes: 20_000, partBytes: 8_000 };
    const run = () => runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 1, strategy: 'adaptive', folders: [path], timeoutMs: 20_000 }, createJobControl(), { limits });
    const first = await run();
    expect(first.failures.map((f) => `${f.item}: ${f.error.code}: ${f.error.message}`)).toEqual([]);
    expect(first.status).toBe('succeeded');
    expect(first.itemsDone).toBe(16);
    const dir = archivedFolderDir(accountDir({ outDir: bed.out, account }), path);
    expect(await expectArchived(bed.admin, path, dir)).toBe(16);
    const uids = readIndex(dir).map((r) => r.uid);
    expect(new Set(uids).size).toBe(uids.length);
    const asks = bodyAsks(relay.commands);
    expect([...asks.keys()].sort((a, b) => a - b)).toEqual([...uids].sort((a, b) => a - b));
    expect([...asks.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    relay.commands.length = 0;
    const again = await run();
    expect(again.itemsDone).toBe(0);
    expect(bodyAsks(relay.commands).size).toBe(0);
  }, 120_000);
});
