import { describe, expect, it } from 'vitest';
import { HostPacer } from '../../../electron/engine/net/host-pacer';
import type { WorkerState } from '../../../shared/events';

describe('HostPacer', () => {
  it('is idle with no wait and no hold; a hold makes the next turn wait (shown as waiting)', async () => {
    const pacer = new HostPacer(0);
    expect(pacer.idle).toBe(true);
    pacer.holdFor(60);
    expect(pacer.idle).toBe(false);
    const states: WorkerState[] = [];
    const progress = { setState: (s: WorkerState) => states.push(s), setItemTotal() {}, addBytes() {}, resetItemBytes() {}, countRetry() {} };
    await pacer.turn(new AbortController().signal, progress);
    expect(states).toEqual(['waiting']);
    expect(pacer.idle).toBe(true);
  });
  it('a turn never ends before the hold has passed (a timer may fire a little early)', async () => {
    const pacer = new HostPacer(0);
    const signal = new AbortController().signal;
    for (let i = 0; i < 40; i++) {
      pacer.holdFor(2 + (i % 3));
      await pacer.turn(signal);
      expect(pacer.idle).toBe(true);
    }
  });
  it('books slots in call order, spaced by wait × (0.5 + random)', async () => {
    const pacer = new HostPacer(40, () => 0.5); // exactly the wait
    const order: number[] = [];
    const signal = new AbortController().signal;
    await Promise.all([0, 1, 2].map((i) => pacer.turn(signal).then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2]);
  });
  it('a cancelled job stops waiting', async () => {
    const pacer = new HostPacer(0);
    pacer.holdFor(60_000);
    const ac = new AbortController();
    const waiting = pacer.turn(ac.signal);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
