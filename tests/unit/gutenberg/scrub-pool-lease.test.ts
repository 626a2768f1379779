import { afterEach, describe, expect, it, vi } from 'vitest';
import { KEEP_WARM_MS, closeSharedScrubPool, leaseScrubPool } from '../../../electron/engine/gutenberg/scrub-pool-lease';
import type { ScrubPool, ScrubPoolOptions } from '../../../electron/engine/scrub/scrub-pool';
import type { ScrubResult } from '../../../electron/engine/scrub/scrub-types';

/** Pools that only count: how many were started, which were closed. */
function fakePools() {
  const started: Array<{ options: ScrubPoolOptions; closed: boolean }> = [];
  const create = (options: ScrubPoolOptions): ScrubPool => {
    const record = { options, closed: false };
    started.push(record);
    return {
      scrub: () => Promise.resolve({ cleanBytes: started.indexOf(record) } as unknown as ScrubResult),
      stats: () => ({}) as ReturnType<ScrubPool['stats']>,
      close: async () => void (record.closed = true),
    };
  };
  return { started, create };
}

const threads = (size: number): ScrubPoolOptions => ({ executor: 'threads', size, maxQueue: size * 2 });
const bytes = () => new TextEncoder().encode('text\n');

afterEach(async () => {
  vi.useRealTimers();
  await closeSharedScrubPool();
});

describe('leaseScrubPool', () => {
  it('starts nothing until a book or warm() needs it', async () => {
    const { started, create } = fakePools();
    const lease = leaseScrubPool(threads(2), create);
    expect(started).toHaveLength(0);
    await lease.release();
    expect(started).toHaveLength(0);
    const second = leaseScrubPool(threads(2), create);
    second.warm();
    second.warm();
    expect(started).toHaveLength(1);
    await second.release();
  });

  it('keeps a threads pool warm for the next job of the same size, then closes it when idle', async () => {
    vi.useFakeTimers();
    const { started, create } = fakePools();
    const first = leaseScrubPool(threads(2), create);
    expect((await first.scrub(bytes())).cleanBytes).toBe(0);
    await first.release();
    expect(started[0]!.closed).toBe(false);
    const second = leaseScrubPool(threads(2), create);
    expect((await second.scrub(bytes())).cleanBytes).toBe(0); // the same pool
    vi.advanceTimersByTime(KEEP_WARM_MS * 2); // in use: the idle timer was cleared
    expect(started[0]!.closed).toBe(false);
    await second.release();
    expect(started).toHaveLength(1);
    vi.advanceTimersByTime(KEEP_WARM_MS - 1);
    expect(started[0]!.closed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(started[0]!.closed).toBe(true);
    // After it closed, a new job starts a new one.
    const third = leaseScrubPool(threads(2), create);
    third.warm();
    expect(started).toHaveLength(2);
    await third.release();
  });

  it('gives a job of another size its own pool while the shared one is in use, closed when that job ends', async () => {
    const { started, create } = fakePools();
    const running = leaseScrubPool(threads(2), create);
    running.warm();
    const other = leaseScrubPool(threads(3), create);
    other.warm();
    expect(started.map((s) => s.options.size)).toEqual([2, 3]);
    await other.release();
    expect(started[1]!.closed).toBe(true);
    expect(started[0]!.closed).toBe(false);
    await running.release();
  });

  it('replaces an idle shared pool of another size', async () => {
    const { started, create } = fakePools();
    const first = leaseScrubPool(threads(2), create);
    first.warm();
    await first.release();
    const next = leaseScrubPool(threads(4), create);
    next.warm();
    expect(started[0]!.closed).toBe(true);
    expect(started[1]!.options.size).toBe(4);
    await next.release();
    expect(started[1]!.closed).toBe(false);
  });

  it('never shares child processes: each job closes its own', async () => {
    const { started, create } = fakePools();
    for (let i = 0; i < 2; i++) {
      const lease = leaseScrubPool({ executor: 'processes', size: 2, maxQueue: 4 }, create);
      lease.warm();
      await lease.release();
    }
    expect(started.map((s) => s.closed)).toEqual([true, true]);
  });

  it('refuses books after release, and a late warm() starts nothing', async () => {
    const { started, create } = fakePools();
    const lease = leaseScrubPool(threads(2), create);
    await lease.release();
    lease.warm();
    await expect(lease.scrub(bytes())).rejects.toThrow(/released/);
    expect(started).toHaveLength(0);
  });

  it('cleans with real worker threads across two leases', async () => {
    for (let i = 0; i < 2; i++) {
      const lease = leaseScrubPool(threads(1));
      const result = await lease.scrub(new TextEncoder().encode('*** START OF THE PROJECT GUTENBERG EBOOK X ***\r\nHello\r\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\r\n'));
      expect(new TextDecoder().decode(result.clean)).toBe('Hello\n');
      await lease.release();
    }
  });
});

describe('jobs running at once', () => {
  it("share the warm pool, and cancelling one job's books fails none of the other's", async () => {
    // Aborting a running task makes piscina end its thread, and with it every task on that thread; it
    // runs a task that can be aborted alone on its thread, so another job's books never go with it.
    const options: ScrubPoolOptions = { executor: 'threads', size: 1, maxQueue: 4, concurrentPerWorker: 4 };
    const para = 'It was the best of times, it was the worst of times, it was the age of wisdom.\r\n';
    const book = () => new TextEncoder().encode(`*** START OF THE PROJECT GUTENBERG EBOOK X ***\r\n${para.repeat(150_000)}*** END OF THE PROJECT GUTENBERG EBOOK X ***\r\n`);
    const cancelled = leaseScrubPool(options);
    const other = leaseScrubPool(options);
    // Both jobs' threads up and warm first, so the cancelled job's book is running when it is cancelled.
    await Promise.all([cancelled.scrub(bytes()), other.scrub(bytes())]);
    const stop = new AbortController();
    const doomed = cancelled.scrub(book(), { signal: stop.signal }).then(() => 'done', (err: { code?: string }) => err.code);
    const kept = Array.from({ length: 3 }, () => other.scrub(book()).then(() => 'done', (err: { code?: string }) => err.code));
    // Cancel once the books are handed to the thread (one turn of the event loop; cleaning a 12 MB
    // book takes longer): the cancelled job's is running there, the other's wait behind it.
    await new Promise((r) => setImmediate(r));
    stop.abort();
    expect(await doomed).toBe('ABORTED');
    expect(await Promise.all(kept)).toEqual(['done', 'done', 'done']);
    await Promise.all([cancelled.release(), other.release()]);
  });
});
