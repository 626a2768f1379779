import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { startTcpProxy, type TcpProxy } from '../../harness/tcp-proxy';
import { archivedFolderDir, expectArchived, readIndex } from './archive-files';
import { cutFirstFetch } from './cut-fetch';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { JobWrites } from '../../../electron/engine/mail/mail-worker';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { MailAccount } from '../../../shared/job-spec';

/**
 * A body row taken by `takeBodyRows` (mail-worker.ts) waits for the job's write budget inside
 * imapflow's reader. When the FETCH ends abnormally meanwhile (connection cut, cancel), the
 * fetching loop has already settled its writes and told the chunks what is left; the parked row
 * must not start a write after that (a message written after its chunk was given back: fetched
 * again on the retry, or written after the job returned).
 *
 * The write budget is made to hold one write per connection (JobWrites.fits: `own === 0`), as a
 * slow disk does with the default budget, so that every row after the first waits for it.
 */
describe('a body row parked on the write budget when the FETCH ends (Dovecot)', () => {
  let srv: DovecotServer;
  let admin: ImapFlow;
  let proxy: TcpProxy;
  let bed: MailTestBed<DovecotServer>;
  const proto = JobWrites.prototype as unknown as { fits(own: number, size: number): boolean; settled(): Promise<void> };
  const fits = proto.fits;
  const settled = proto.settled;

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot(), {
      tmpPrefix: 'fanout-parked-',
      folders: [
        { path: 'Cut', count: 60, big: { count: 12, bytes: 40_000 } },
        { path: 'Cancel', count: 60 },
      ],
      seed: 13,
    });
    ({ srv, admin } = bed);
    proxy = await startTcpProxy({ targetPort: srv.port });
  }, 60_000);

  afterAll(async () => {
    proto.fits = fits;
    proto.settled = settled;
    await proxy?.stop();
    await bed?.stop();
  });

  it('a connection cut mid-FETCH: retried, every message archived once, the job succeeds', async () => {
    const out = `${bed.base}/cut`;
    const account: MailAccount = bed.account({ host: '127.0.0.1', port: proxy.port });
    proto.fits = function (own: number) {
      return own === 0;
    };
    try {
      const summary = await runMailJob(
        { kind: 'mail', account, outDir: out, connections: 1, strategy: 'adaptive', folders: ['Cut'], timeoutMs: 10_000 },
        createJobControl(),
        {
          limits: { chunkMessages: 60 },
          beforeFetch: cutFirstFetch(proxy, 60_000, 1),
        },
      );
      proxy.setDrop(null);
      expect(proxy.stats.dropped).toBeGreaterThanOrEqual(1);
      expect(summary.failures).toEqual([]);
      expect(summary.status).toBe('succeeded');
      expect(summary.itemsDone).toBe(60);
      const dir = archivedFolderDir(accountDir({ outDir: out, account }), 'Cut');
      const uids = readIndex(dir).map((r) => r.uid);
      expect(new Set(uids).size).toBe(uids.length);
      expect(await expectArchived(admin, 'Cut', dir)).toBe(60);
    } finally {
      proto.fits = fits;
      proxy.setDrop(null);
    }
  }, 60_000);

  it('cancelled while a row waits: nothing is written after the job returned, and its count is what is on disk', async () => {
    const out = `${bed.base}/cancel`;
    const account: MailAccount = bed.account();
    const control = createJobControl();
    proto.fits = function (own: number) {
      return own === 0;
    };
    // The first wait for the budget: cancel there (the user presses Cancel while writes are behind).
    proto.settled = function (this: JobWrites) {
      if (!control.signal.aborted) control.abort();
      return settled.call(this);
    };
    try {
      const summary = await runMailJob(
        { kind: 'mail', account, outDir: out, connections: 1, strategy: 'adaptive', folders: ['Cancel'], timeoutMs: 10_000 },
        control,
        { limits: { chunkMessages: 60 } },
      );
      expect(control.signal.aborted).toBe(true);
      const dir = archivedFolderDir(accountDir({ outDir: out, account }), 'Cancel');
      const atReturn = readIndex(dir).length;
      await new Promise((r) => setTimeout(r, 1500));
      const later = readIndex(dir).length;
      expect(later, 'index lines written after runMailJob returned').toBe(atReturn);
      expect(summary.itemsDone).toBe(atReturn);
    } finally {
      proto.fits = fits;
      proto.settled = settled;
    }
  }, 60_000);
});
