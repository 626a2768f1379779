import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { makeMessage, rng } from '../../harness/dovecot-fill';
import { startTcpProxy, type TcpProxy } from '../../harness/tcp-proxy';
import { archivedFolderDir, expectArchived } from './archive-files';
import { cutFirstFetch } from './cut-fetch';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { runMailJob, accountDir, type MailJobExtras } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { MailAccount } from '../../../shared/job-spec';
import type { JobEvent, JobSummary } from '../../../shared/events';

/** Faults between the archiver and the server: each must end with nothing lost after a re-run. */
describe('mail archive: faults on the wire (Dovecot behind a TCP proxy)', () => {
  let srv: DovecotServer;
  let admin: ImapFlow;
  let proxy: TcpProxy;
  let out: string;
  let account: MailAccount;
  let bed: MailTestBed<DovecotServer>;

  const run = async (folder: string, opts: { timeoutMs?: number; extras?: MailJobExtras } = {}): Promise<{ summary: JobSummary; events: JobEvent[] }> => {
    const events: JobEvent[] = [];
    const summary = await runMailJob(
      { kind: 'mail', account, outDir: out, connections: 2, strategy: 'adaptive', folders: [folder], timeoutMs: opts.timeoutMs ?? 10_000 },
      createJobControl((e) => events.push(e)),
      { limits: { chunkMessages: 10 }, ...opts.extras },
    );
    return { summary, events };
  };

  const folderDir = (path: string) => archivedFolderDir(accountDir({ outDir: out, account }), path);
  /** Every message the server holds in `path` is archived byte for byte in its current generation. */
  const expectComplete = (path: string) => expectArchived(admin, path, folderDir(path));

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot(), {
      tmpPrefix: 'fanout-mail-faults-',
      folders: [
        { path: 'Cut', count: 60, big: { count: 12, bytes: 40_000 } },
        { path: 'Stall', count: 40 },
        { path: 'Recreated', count: 40 },
      ],
      seed: 8,
    });
    ({ srv, admin, out } = bed);
    proxy = await startTcpProxy({ targetPort: srv.port });
    account = bed.account({ host: '127.0.0.1', port: proxy.port });
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await bed?.stop();
  });

  it('connections cut in the middle of a FETCH: retried, every message archived once', async () => {
    // The FETCH about to start is cut after 30 kB of its answer (twice in all).
    const { summary } = await run('Cut', { extras: { beforeFetch: cutFirstFetch(proxy, 30_000, 2) } });
    proxy.setDrop(null);
    expect(proxy.stats.dropped).toBeGreaterThanOrEqual(1);
    expect(summary.failures).toEqual([]);
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(60);
    expect(await expectComplete('Cut')).toBe(60);
  }, 60_000);

  it("a stalled FETCH fails after the user's timeout (not 30 s), is retried, and nothing is lost", async () => {
    let stalls = 0;
    const { summary, events } = await run('Stall', {
      timeoutMs: 3000,
      extras: {
        beforeFetch: async () => {
          if (stalls++ > 0) return;
          // This FETCH stalls: what crosses the proxy now is held back far longer than the
          // timeout. Once the FETCH command has crossed, new traffic (the retry) flows again.
          const up = proxy.stats.bytesUp;
          proxy.setDelay(120_000);
          const release = setInterval(() => {
            if (proxy.stats.bytesUp === up) return;
            proxy.setDelay(0);
            clearInterval(release);
          }, 5);
        },
      },
    });
    proxy.setDelay(0);
    expect(stalls).toBeGreaterThan(1);
    expect(summary.failures).toEqual([]);
    expect(summary.status).toBe('succeeded');
    // The stalled FETCH was given up (after 3 s: the test's bound is below the old 30 s floor) and retried.
    const last = events.filter((e): e is Extract<JobEvent, { kind: 'job:frame' }> => e.kind === 'job:frame').pop()!;
    expect(last.frame.workers.reduce((n, w) => n + w.retries, 0)).toBeGreaterThanOrEqual(1);
    expect(await expectComplete('Stall')).toBe(40);
  }, 25_000);

  it('a folder recreated during the run (new UIDVALIDITY) fails it by name; the re-run archives the new generation whole', async () => {
    let recreated = false;
    const first = await run('Recreated', {
      extras: {
        beforeFetch: async () => {
          if (recreated) return;
          recreated = true;
          const old: Array<{ source: Buffer; flags: string[]; date: Date }> = [];
          await admin.mailboxOpen('Recreated', { readOnly: true });
          for await (const m of admin.fetch('1:*', { source: true, flags: true, internalDate: true })) old.push({ source: m.source!, flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent'), date: new Date(m.internalDate!) });
          await admin.mailboxClose();
          await admin.mailboxDelete('Recreated');
          await new Promise((r) => setTimeout(r, 1100));
          await admin.mailboxCreate('Recreated');
          for (const m of old) await admin.append('Recreated', m.source, m.flags, m.date);
          const d = new Date(Date.UTC(2024, 5, 6));
          await admin.append('Recreated', makeMessage(77_000, d, 0, rng(4)), [], d);
          // Dovecot answers "Internal error" to a later SELECT of the recreated folder on this session: use a new one.
          await admin.logout();
          admin = await srv.connect();
        },
      },
    });
    expect(recreated).toBe(true);
    // Either a worker saw the new UIDVALIDITY (the folder fails, by name), or the old generation was
    // still served whole to a session that had it selected (then that run is complete as it saw it).
    if (first.summary.status === 'failed') {
      for (const f of first.summary.failures) expect(f.error.context.folder).toBe('Recreated');
    } else {
      expect(first.summary.itemsDone).toBe(40);
    }
    const second = await run('Recreated');
    expect(second.summary.failures).toEqual([]);
    expect(second.summary.status).toBe('succeeded');
    expect(await expectComplete('Recreated')).toBe(41);
    const state = JSON.parse(readFileSync(join(folderDir('Recreated'), 'state.json'), 'utf8')) as { generations: unknown[] };
    expect(state.generations.length).toBe(2);
    // A third run has nothing to do.
    expect((await run('Recreated')).summary.itemsDone).toBe(0);
  }, 60_000);
});
