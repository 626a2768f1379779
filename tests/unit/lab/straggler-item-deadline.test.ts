import { describe, expect, it } from 'vitest';
import { ItemDeadline, type ItemTiming } from '../../../electron/engine/core/item-deadline';
import { FanoutError, abortedError } from '../../../electron/engine/core/fanout-error';
import { noProgress, type WorkerContext } from '../../../electron/engine/core/worker-context';

/** An attempt that ends only when its signal aborts (as a session does on a cancel). */
const hangs = (ctx: WorkerContext) => new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(abortedError()), { once: true }));

function worker(signal = new AbortController().signal): WorkerContext {
  return { workerId: 0, signal, progress: noProgress };
}

describe('ItemDeadline (per-item timeout)', () => {
  it('cuts an attempt past its deadline as a retryable TIMEOUT with the item context, and times the item from its first attempt', async () => {
    const timings: ItemTiming[] = [];
    const d = new ItemDeadline(100, (t) => timings.push(t));
    const err = await d.attempt(7, worker(), { ebook: 7 }, hangs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FanoutError);
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true, context: { ebook: 7 } });
    expect(await d.attempt(7, worker(), { ebook: 7 }, async () => 'ok')).toBe('ok');
    d.settled(7, true);
    expect(timings).toEqual([expect.objectContaining({ key: 7, landed: true, attempts: 2, timedOut: 1 })]);
    expect(timings[0]!.ms).toBeGreaterThanOrEqual(100);
    d.settled(7, true); // settled once: a second call reports nothing
    expect(timings).toHaveLength(1);
  });

  it("keeps the job's cancel a cancel, not a timeout", async () => {
    const job = new AbortController();
    const d = new ItemDeadline(60_000);
    const attempt = d.attempt(1, worker(job.signal), {}, hangs).catch((e: unknown) => e);
    job.abort();
    expect(await attempt).toMatchObject({ code: 'ABORTED' });
  });

  it('without a timeout runs the attempt on the worker signal and only keeps the clock; a failed item is reported as not landed', async () => {
    const timings: ItemTiming[] = [];
    const d = new ItemDeadline(undefined, (t) => timings.push(t));
    const ctx = worker();
    await d.attempt(3, ctx, {}, async (c) => expect(c.signal).toBe(ctx.signal));
    d.begin([4, 5]);
    d.settled(3, true);
    d.settled(4, false);
    expect(timings.map((t) => [t.key, t.landed, t.attempts, t.timedOut])).toEqual([[3, true, 1, 0], [4, false, 1, 0]]);
  });
});
