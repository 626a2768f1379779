/**
 * Worker 0 plans, then fetches like the others; planning's end sets its
 * lane 'idle' (run-mail-job.ts `planLane.setState('idle')` in the planning finally) even when it is
 * fetching by then, so its lane shows idle (white space) while its messages keep landing. Seen in
 * the UI: w0 had 250 of 420 messages, its lane ended at 0.55 s of a 2.3 s job.
 */
import { expect, it } from 'vitest';
import { startDovecot } from '../../harness/dovecot';
import { runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { JobEvent, TelemetryFrame } from '../../../shared/events';
import { openMailTestBed } from './mail-test-bed';

it('no lane is idle while its messages keep landing (worker 0 after planning)', async () => {
  const bed = await openMailTestBed(() => startDovecot(), { tmpPrefix: 'hb-lane-', folders: [{ path: 'INBOX', count: 300 }, { path: 'Archive', count: 120 }] });
  try {
    const frames: TelemetryFrame[] = [];
    const control = createJobControl((e: JobEvent) => { if (e.kind === 'job:frame') frames.push(e.frame); });
    const summary = await runMailJob({ kind: 'mail', account: bed.account(), outDir: bed.out, connections: 3, strategy: 'adaptive', folders: 'all' }, control);
    expect(summary.status).toBe('succeeded');
    const idleWhileLanding: string[] = [];
    for (let i = 1; i < frames.length; i++) {
      for (const w of frames[i - 1]!.workers) {
        const next = frames[i]!.workers.find((x) => x.id === w.id)!;
        if (w.state === 'idle' && next.state === 'idle' && next.itemsDone > w.itemsDone) idleWhileLanding.push(`w${w.id} idle at ${frames[i - 1]!.t.toFixed(0)}-${frames[i]!.t.toFixed(0)} ms: ${w.itemsDone} -> ${next.itemsDone}`);
      }
    }
    expect(idleWhileLanding).toEqual([]);
  } finally {
    await bed.stop();
  }
}, 120_000);
