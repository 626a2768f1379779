import { describe, expect, it } from 'vitest';
import { SharedQueueSource } from '../../../electron/engine/core/item-sources';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Lets the source's feed read a synchronous input whole (its reads are microtasks). */
const settle = () => new Promise((r) => setTimeout(r, 1));

describe('adaptive batch size', () => {
  it('is remaining / (2 · workers) by default, remaining / (factor · workers) when a job gives its factor', async () => {
    const signal = new AbortController().signal;
    const byDefault = new SharedQueueSource(range(40), { strategy: 'adaptive', workers: 2, total: 40, signal });
    const halved = new SharedQueueSource(range(40), { strategy: 'adaptive', workers: 2, total: 40, adaptiveFactor: 1, signal });
    await settle();
    expect((await byDefault.take(0, signal)).length).toBe(10);
    expect((await byDefault.take(1, signal)).length).toBe(8); // ceil(30 / 4)
    expect((await halved.take(0, signal)).length).toBe(20);
    expect((await halved.take(1, signal)).length).toBe(10); // ceil(20 / 2)
    expect((await halved.take(0, signal)).length).toBe(5);
  });

  it('queue takes one item whatever the factor', async () => {
    const signal = new AbortController().signal;
    const q = new SharedQueueSource(range(10), { strategy: 'queue', workers: 2, total: 10, adaptiveFactor: 1, signal });
    await settle();
    expect(await q.take(0, signal)).toEqual([0]);
  });
});
