import { describe, expect, it } from 'vitest';
import { Bandwidth } from '../../../electron/engine/net/bandwidth';

describe('Bandwidth (the job-wide token bucket)', () => {
  it('costs nothing uncapped', () => {
    const bw = new Bandwidth(null);
    expect(bw.take(10 ** 9)).toBeNull();
    expect(bw.rate).toBeNull();
  });

  it('lets the burst through at once, then holds takes back in arrival order', async () => {
    const bw = new Bandwidth(1_000_000); // burst: 250 kB
    expect(bw.take(200_000)).toBeNull();
    expect(bw.take(100_000)).toBeNull(); // balance was still positive: goes, into debt
    const order: number[] = [];
    const a = bw.take(10)!.then(() => order.push(1));
    const b = bw.take(10)!.then(() => order.push(2));
    expect(a).toBeInstanceOf(Promise);
    await Promise.all([a, b]);
    expect(order).toEqual([1, 2]);
  });

  it('lifting the cap releases every waiter at once', async () => {
    const bw = new Bandwidth(16 * 1024);
    bw.take(1024 * 1024); // a debt of a minute
    const waiting = [bw.take(1), bw.take(1)];
    expect(waiting.every((w) => w instanceof Promise)).toBe(true);
    const seen: Array<number | null> = [];
    bw.onChange((r) => seen.push(r));
    bw.setRate(null);
    await Promise.all(waiting); // would take a minute at the old rate
    expect(seen).toEqual([null]);
  });

  it('a take whose signal fires leaves the queue at once: a cancelled job does not wait out its debt', async () => {
    const bw = new Bandwidth(16 * 1024);
    bw.take(1024 * 1024); // a debt of a minute
    const stop = new AbortController();
    const other = new AbortController();
    const released = bw.take(1, stop.signal);
    const stays = bw.take(1, other.signal);
    expect(released).toBeInstanceOf(Promise);
    let settled = false;
    void stays!.then(() => (settled = true));
    stop.abort();
    await released; // would take a minute at the rate (and the bucket's timer does not hold the process: a CLI exited 13)
    expect(settled).toBe(false); // the other waiter keeps its place
    expect(bw.take(1, stop.signal)).toBeNull(); // once stopped, nothing waits
    other.abort();
    await stays;
  });
});
