/**
 * The mail lab warms up too (engine/lab/measure-cells.ts `runWarmUp`): before its first cell, one
 * unmeasured job of the smallest folder that holds mail, into its own folder removed before the
 * first cell. Jobs counted through the lab's runner hook against a real Dovecot.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailJobSpecSchema, type MailJobSpec } from '../../../shared/job-spec';
import { runMailLab } from '../../../electron/engine/lab/mail-lab';
import { runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMailbox } from '../../harness/dovecot-fill';

let srv: DovecotServer;
let admin: ImapFlow;
let dir = '';
beforeAll(async () => {
  srv = await startDovecot();
  admin = await srv.connect();
  await fillMailbox(admin, [{ path: 'INBOX', count: 12 }, { path: 'Archive', count: 3 }, { path: 'Empty', count: 0 }]);
  dir = await mkdtemp(join(tmpdir(), 'fanout-lab-mail-warm-'));
}, 120_000);
afterAll(async () => {
  await admin?.logout().catch(() => undefined);
  await srv?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('mail lab warm-up', () => {
  it('archives the smallest non-empty folder once, unmeasured, before the first cell', async () => {
    const out = join(dir, 'out');
    const spec: MailJobSpec = MailJobSpecSchema.parse({
      kind: 'mail', outDir: out,
      account: { host: srv.host, port: srv.port, tls: 'none', user: srv.user, auth: { method: 'password', password: srv.password } },
    });
    const jobs: Array<{ dir: string; folders: MailJobSpec['folders']; done: number; earlierLeft: boolean }> = [];
    const points = await runMailLab({
      spec, strategies: ['serial', 'queue'], connectionCounts: [2], repeats: 1, signal: new AbortController().signal, onPoint: () => {},
      run: async (s, control) => {
        const job = { dir: s.outDir, folders: s.folders, done: 0, earlierLeft: jobs.some((j) => existsSync(j.dir)) };
        jobs.push(job);
        const summary = await runMailJob(s, control);
        job.done = summary.itemsDone;
        return summary;
      },
    });
    expect(points.map((p) => `${p.strategy}×${p.workers}:${p.itemsDone}`)).toEqual(['serial×1:15', 'queue×2:15']);
    expect(jobs.map((j) => [basename(j.dir), j.folders, j.done])).toEqual([
      ['warm-up', ['Archive'], 3],
      ['serial-w1-threads-r0', 'all', 15],
      ['queue-w2-threads-r0', 'all', 15],
    ]);
    expect(jobs.map((j) => j.earlierLeft)).toEqual([false, false, false]);
    expect((await readdir(out)).filter((n) => n.startsWith('.fanout-lab-'))).toEqual([]);
  });

  it('a refused login ends the lab before any job, in the job\'s words', async () => {
    const out = join(dir, 'out-refused');
    const spec: MailJobSpec = MailJobSpecSchema.parse({
      kind: 'mail', outDir: out,
      account: { host: srv.host, port: srv.port, tls: 'none', user: srv.user, auth: { method: 'password', password: 'wrong' } },
    });
    let jobs = 0;
    const lab = runMailLab({
      spec, strategies: ['serial'], connectionCounts: [1], repeats: 1, signal: new AbortController().signal, onPoint: () => {},
      run: (s, control) => (jobs++, runMailJob(s, control)),
    });
    await expect(lab).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(jobs).toBe(0);
    expect((await readdir(out)).filter((n) => n.startsWith('.fanout-lab-'))).toEqual([]);
  });
});
