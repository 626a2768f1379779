import { describe, expect, it } from 'vitest';
import { JobTelemetry } from '../../../electron/engine/core/job-telemetry';
import { ScrubStage, type ScrubService } from '../../../electron/engine/gutenberg/scrub-stage';
import type { ScrubResult } from '../../../electron/engine/scrub/scrub-types';

/** Spans closed so far, per telemetry (each frame hands over those closed since the last). */
const closed = new WeakMap<JobTelemetry, Array<[string, string | null]>>();
const lane = (t: JobTelemetry) => {
  const f = t.frame();
  const spans = closed.get(t) ?? [];
  spans.push(...f.spans.map((s): [string, string | null] => [s.state, s.item]));
  closed.set(t, spans);
  const w = f.workers[0]!;
  return { state: w.state, item: w.item, itemBytes: w.itemBytes, itemTotal: w.itemTotal };
};

/**
 * A later stage holding a lane's item (JobTelemetry.holdLane: the scrub stage full, the book waits
 * for room) is what the lane shows while its own work is not under way; a download still moving
 * bytes (a batch's next book) is shown until its bytes are in.
 */
describe('JobTelemetry.holdLane', () => {
  it('shows the hold once the live download has all its bytes (with that item), and the live state again when released', () => {
    const t = new JobTelemetry({ workers: 1 });
    const p = t.worker(0);
    p.setState('downloading', '2 B');
    p.setItemTotal(100);
    p.addBytes(40);
    const release = t.holdLane(0, 'waiting to clean', '1 A');
    // The next book is still coming in: that is what the lane does.
    expect(lane(t)).toEqual({ state: 'downloading', item: '2 B', itemBytes: 40, itemTotal: 100 });
    p.addBytes(60);
    // All in, it waits to clean too (behind '1 A'): the lane's item never goes back to '1 A' (HE s19 F9).
    expect(lane(t)).toEqual({ state: 'waiting to clean', item: '2 B', itemBytes: 100, itemTotal: 100 });
    release();
    release(); // idempotent
    expect(lane(t)).toEqual({ state: 'downloading', item: '2 B', itemBytes: 100, itemTotal: 100 });
    // The timeline says it too, in order (spans of 0 ms are not sent: the test's steps take longer).
  });

  it('closes a span per shown state, and a new download shown over an older hold', () => {
    const t = new JobTelemetry({ workers: 1 });
    const p = t.worker(0);
    p.setState('cleaning', '1 A');
    const release = t.holdLane(0, 'waiting to clean', '1 A');
    expect(lane(t).state).toBe('waiting to clean');
    p.setState('connecting', '2 B');
    expect(lane(t)).toMatchObject({ state: 'connecting', item: '2 B' });
    release();
    p.setState('idle');
    expect(lane(t)).toMatchObject({ state: 'idle', item: null });
  });

  it("a lane's 'idle' after a hold is released ends its own state (the handle compares its live state)", () => {
    const t = new JobTelemetry({ workers: 1 });
    const p = t.worker(0);
    p.setState('cleaning', '1 A');
    t.holdLane(0, 'waiting to clean', '1 A')();
    p.setState('idle');
    expect(lane(t).state).toBe('idle');
  });
});

describe('ScrubStage onWait', () => {
  it('is called only when a book must wait for room, and its release once there is room', async () => {
    const waiting: Array<() => void> = [];
    const service: ScrubService = { scrub: () => new Promise<ScrubResult>((done) => waiting.push(() => done({} as ScrubResult))) };
    const stage = new ScrubStage(service, { maxInFlight: 1, signal: new AbortController().signal });
    const calls: string[] = [];
    const onWait = (ebook: number) => () => {
      calls.push(`wait ${ebook}`);
      return () => calls.push(`room ${ebook}`);
    };
    const task = (ebook: number) => ({ ebook, rawPath: '/nonexistent', cleanPath: '/nonexistent', finish: async () => {}, fail: async () => {} });
    await stage.submit(task(1), onWait(1));
    expect(calls).toEqual([]);
    const second = stage.submit(task(2), onWait(2));
    expect(calls).toEqual(['wait 2']);
    await expect.poll(() => waiting.length).toBe(1);
    waiting.shift()!();
    await second;
    expect(calls).toEqual(['wait 2', 'room 2']);
    await expect.poll(() => waiting.length).toBe(1);
    waiting.shift()!();
    await stage.drain();
  });
});
