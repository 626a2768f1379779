/**
 * A job succeeds only when its numbers reconcile: every item of a known total done, failed or
 * skipped. A pool whose workers all left with items still queued (a bug found in session 6: 38 of
 * 120 books, "succeeded") must end `failed`, saying how many items were never accounted for.
 */
import { describe, expect, it } from 'vitest';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runJob } from '../../../electron/engine/core/run-job';

const opts = (itemsTotal: number | null) => ({ kind: 'gutenberg' as const, strategy: 'queue' as const, workers: 2, outDir: '/tmp/x', itemsTotal, control: createJobControl() });

describe('runJob reconciles its numbers', () => {
  it('fails a job whose done + failed + skipped fall short of its total, naming the gap', async () => {
    const summary = await runJob(opts(5), async ({ telemetry }) => {
      telemetry.itemDone(0);
      telemetry.itemDone(1);
      telemetry.addSkipped(1);
    });
    expect(summary.status).toBe('failed');
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0]!.item).toBe('(job)');
    expect(summary.failures[0]!.error.message).toContain('2 of 5 items');
  });

  it('succeeds when every item is accounted for, or when the total is not known', async () => {
    const whole = await runJob(opts(3), async ({ telemetry }) => {
      telemetry.itemDone(0, 2);
      telemetry.addSkipped(1);
    });
    expect(whole.status).toBe('succeeded');
    const open = await runJob(opts(null), async ({ telemetry }) => {
      telemetry.itemDone(0);
    });
    expect(open.status).toBe('succeeded');
  });

  it('a cancelled job stays cancelled, however many items it left', async () => {
    const o = opts(4);
    const summary = await runJob(o, async ({ telemetry }) => {
      telemetry.itemDone(0);
      o.control.abort();
    });
    expect(summary.status).toBe('cancelled');
  });
});
