import { describe, expect, it } from 'vitest';
import { runPool, type WorkerSession } from '../../../electron/engine/core/run-pool';
import { JobTelemetry } from '../../../electron/engine/core/job-telemetry';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { PauseGate } from '../../../electron/engine/core/pause-gate';
import { serverUnreachable } from '../../../electron/engine/core/job-fatal';
import type { Strategy } from '../../../shared/strategy';

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));

/** Records which worker processed which item, in order, and the batches handed out. */
function recorder(opts: {
  delay?: (item: number) => number;
  /** An item held until this resolves (instead of its delay). */
  hold?: (item: number) => Promise<void> | undefined;
  /** Called once an item is recorded done. */
  onDone?: (item: number) => void;
  failOnce?: Set<number>;
  failAlways?: Set<number>;
  batches?: boolean;
} = {}) {
  const byWorker = new Map<number, number[]>();
  const batches: number[][] = [];
  const seenFailures = new Set<number>();
  let sessionsOpened = 0;
  let sessionsClosed = 0;
  const handle = async (item: number, workerId: number) => {
    await (opts.hold?.(item) ?? tick(opts.delay?.(item) ?? 0));
    if (opts.failAlways?.has(item)) throw new FanoutError('FTP_NOT_FOUND', `no ${item}`, { ebook: item });
    if (opts.failOnce?.has(item) && !seenFailures.has(item)) {
      seenFailures.add(item);
      throw new FanoutError('CONNECTION_RESET', 'dropped');
    }
    byWorker.set(workerId, [...(byWorker.get(workerId) ?? []), item]);
    opts.onDone?.(item);
  };
  const openWorker = async (ctx: { workerId: number }): Promise<WorkerSession<number>> => {
    sessionsOpened++;
    const session: WorkerSession<number> = {
      process: (item) => handle(item, ctx.workerId),
      close: async () => {
        sessionsClosed++;
      },
    };
    if (opts.batches) {
      session.processBatch = async (items) => {
        batches.push(items);
        for (const it of items) await handle(it, ctx.workerId);
      };
    }
    return session;
  };
  return { byWorker, batches, openWorker, opened: () => sessionsOpened, closed: () => sessionsClosed };
}

async function run(strategy: Strategy, items: number[], workers: number, rec: ReturnType<typeof recorder>, extra: Partial<Parameters<typeof runPool<number>>[0]> = {}) {
  const telemetry = new JobTelemetry({ workers: strategy === 'serial' ? 1 : workers });
  const failed: number[] = [];
  const result = await runPool<number>({
    items,
    workers,
    strategy,
    signal: new AbortController().signal,
    telemetry,
    attempts: 3,
    baseDelayMs: 1,
    label: (i) => `item ${i}`,
    openWorker: rec.openWorker,
    onItemFailed: (i) => failed.push(i),
    ...extra,
  });
  return { result, telemetry, failed };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const allProcessed = (rec: ReturnType<typeof recorder>) => [...rec.byWorker.values()].flat().sort((a, b) => a - b);

describe('runPool strategies', () => {
  it('serial uses one worker and keeps input order', async () => {
    const rec = recorder();
    const { telemetry } = await run('serial', range(20), 4, rec);
    expect([...rec.byWorker.keys()]).toEqual([0]);
    expect(rec.byWorker.get(0)).toEqual(range(20));
    expect(telemetry.itemsDone).toBe(20);
    expect(rec.opened()).toBe(1);
    expect(rec.closed()).toBe(1);
  });

  it('split gives each worker one contiguous sublist fixed up front', async () => {
    const rec = recorder({ delay: (i) => (i <= 5 ? 5 : 0) });
    await run('split', range(20), 4, rec);
    expect(rec.byWorker.get(0)).toEqual([1, 2, 3, 4, 5]);
    expect(rec.byWorker.get(1)).toEqual([6, 7, 8, 9, 10]);
    expect(rec.byWorker.get(3)).toEqual([16, 17, 18, 19, 20]);
  });

  it('queue hands the next item to the next free worker (a slow worker does fewer items)', async () => {
    // Item 1 is held until the other workers have done 35 items: its worker then has at most the last 4
    // to share. (A 60 ms item against 1 ms ones was a race: at load ~20 the process, descheduled, found
    // both timers due at once and the slow worker did its share.)
    let others = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const rec = recorder({
      delay: () => 1,
      hold: (i) => (i === 1 ? held : undefined),
      onDone: (i) => {
        if (i !== 1 && ++others === 35) release();
      },
    });
    await run('queue', range(40), 4, rec);
    expect(allProcessed(rec)).toEqual(range(40));
    const slow = [...rec.byWorker.entries()].find(([, items]) => items.includes(1))!;
    expect(slow[1].length).toBeLessThan(10);
  });

  it('adaptive hands out batches that shrink as the queue drains', async () => {
    const rec = recorder({ batches: true });
    await run('adaptive', range(200), 4, rec, { total: 200 });
    expect(allProcessed(rec)).toEqual(range(200));
    const sizes = rec.batches.map((b) => b.length);
    expect(sizes[0]).toBeGreaterThan(8);
    expect(Math.max(...sizes)).toBe(sizes[0]);
    // near the end, the batches are single items (handled by process, not processBatch)
    expect(rec.batches.flat().length).toBeLessThan(200);
  });

  it.each(['serial', 'queue', 'split', 'adaptive'] as Strategy[])('%s processes every item exactly once from a streaming input', async (strategy) => {
    const rec = recorder({ batches: true });
    async function* stream() {
      for (const i of range(150)) yield i;
    }
    const { telemetry } = await run(strategy, stream() as unknown as number[], 3, rec);
    expect(allProcessed(rec)).toEqual(range(150));
    expect(telemetry.itemsDone).toBe(150);
  });
});

describe('runPool errors', () => {
  it('retries transient errors and fails permanent ones for that item only', async () => {
    const rec = recorder({ failOnce: new Set([3, 7]), failAlways: new Set([5]) });
    const { telemetry, failed } = await run('queue', range(10), 2, rec);
    expect(failed).toEqual([5]);
    expect(allProcessed(rec)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(telemetry.itemsFailed).toBe(1);
    expect(telemetry.frame().workers.reduce((n, w) => n + w.retries, 0)).toBe(2);
  });

  it('retires a worker the server refuses (too many connections) and gives its work to the others', async () => {
    const base = recorder();
    let opens = 0;
    const warnings: string[] = [];
    const openWorker = async (ctx: { workerId: number }) => {
      opens++;
      if (ctx.workerId >= 2) {
        await tick(5); // refused after the first connections were accepted
        throw new FanoutError('TOO_MANY_CONNECTIONS', '421 Too many connections from your IP', { host: '127.0.0.1' });
      }
      return base.openWorker(ctx);
    };
    for (const strategy of ['queue', 'split'] as Strategy[]) {
      base.byWorker.clear();
      const { result, telemetry, failed } = await run(strategy, range(30), 4, base, { openWorker, onWarning: (m) => warnings.push(m) });
      expect(failed).toEqual([]);
      expect(allProcessed(base)).toEqual(range(30));
      expect(result.retired).toBe(2);
      expect(telemetry.activeWorkers).toBe(2);
      expect([...base.byWorker.keys()].sort()).toEqual([0, 1]);
    }
    expect(warnings.some((w) => /retired/.test(w))).toBe(true);
    expect(opens).toBe(8);
  });

  it('surfaces an input that fails', async () => {
    const rec = recorder();
    async function* broken() {
      yield 1;
      throw new FanoutError('BAD_INPUT', 'catalog unreadable');
    }
    await expect(run('queue', broken() as unknown as number[], 2, rec)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});

describe('runPool batches with per-item outcomes', () => {
  it('counts done items, fails permanent ones, and retries retryable ones alone', async () => {
    const processed: number[] = [];
    let retriedAlone: number[] = [];
    const openWorker = async (): Promise<WorkerSession<number>> => ({
      process: async (item) => {
        retriedAlone.push(item);
        if (item % 10 === 3) throw new FanoutError('HTTP_NOT_FOUND', `no ${item}`, { ebook: item });
        processed.push(item);
      },
      processBatch: async (items) =>
        items.map((item) => {
          if (item % 10 === 3) return new FanoutError('HTTP_NOT_FOUND', `no ${item}`, { ebook: item });
          if (item % 10 === 7) return new FanoutError('CONNECTION_RESET', 'cut');
          processed.push(item);
          return null;
        }),
      close: async () => {},
    });
    retriedAlone = [];
    const telemetry = new JobTelemetry({ workers: 2 });
    const failed: number[] = [];
    await runPool<number>({
      items: range(100), total: 100, workers: 2, strategy: 'adaptive', signal: new AbortController().signal, telemetry,
      attempts: 3, baseDelayMs: 1, label: String, openWorker, onItemFailed: (i) => failed.push(i),
    });
    const expectedFailed = range(100).filter((i) => i % 10 === 3);
    expect(failed.sort((a, b) => a - b)).toEqual(expectedFailed);
    expect(processed.sort((a, b) => a - b)).toEqual(range(100).filter((i) => i % 10 !== 3));
    // Items handed out alone at the tail go through process() directly; the retryable ones from batches too.
    expect(retriedAlone.filter((i) => i % 10 === 7).length).toBeGreaterThan(0);
    expect(telemetry.itemsDone).toBe(90);
    expect(telemetry.itemsFailed).toBe(10);
  });
});

describe('runPool control', () => {
  it('stops on abort without processing the rest', async () => {
    const rec = recorder({ delay: () => 2 });
    const controller = new AbortController();
    const telemetry = new JobTelemetry({ workers: 2 });
    const done = runPool<number>({
      items: range(1000), workers: 2, strategy: 'queue', signal: controller.signal, telemetry, attempts: 1,
      label: String, openWorker: rec.openWorker,
    });
    await tick(20);
    controller.abort();
    const result = await done;
    expect(result.cancelled).toBe(true);
    expect(allProcessed(rec).length).toBeLessThan(1000);
    expect(rec.closed()).toBe(rec.opened());
  });

  it('pause parks workers between items and resume continues', async () => {
    const rec = recorder({ delay: () => 1 });
    const pause = new PauseGate();
    const telemetry = new JobTelemetry({ workers: 2 });
    pause.pause();
    const done = runPool<number>({
      items: range(20), workers: 2, strategy: 'queue', signal: new AbortController().signal, telemetry, attempts: 1, pause,
      label: String, openWorker: rec.openWorker,
    });
    await tick(30);
    expect(allProcessed(rec)).toEqual([]);
    expect(telemetry.frame().workers.map((w) => w.state)).toEqual(['paused', 'paused']);
    pause.resume();
    await done;
    expect(allProcessed(rec)).toEqual(range(20));
  });
});

describe('runPool: job-fatal errors stop the pool', () => {
  it.each(['queue', 'adaptive', 'split'] as const)('%s: the first fatal error rejects the pool at once; no item is recorded as failed, untried ones are never taken', async (strategy) => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    const taken: number[] = [];
    const failed: number[] = [];
    const refuse = async (item: number) => {
      taken.push(item);
      await tick(2);
      throw new FanoutError('AUTH_FAILED', 'FTP 530: Login authentication failed', { host: 'h', ebook: item });
    };
    const pool = runPool<number>({
      items, workers: 4, strategy, signal: new AbortController().signal, telemetry: new JobTelemetry({ workers: 4 }),
      attempts: 5, baseDelayMs: 1, label: (i) => `item ${i}`,
      isJobFatal: serverUnreachable,
      onItemFailed: (i) => failed.push(i),
      openWorker: async () => ({ process: refuse, processBatch: async (batch) => refuse(batch[0]!), close: async () => {} }),
    });
    await expect(pool).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(failed).toEqual([]);
    expect(taken.length).toBeLessThanOrEqual(4); // one try per worker at most, no retries
  });

  it('a refused connection is fatal only before anything was done', () => {
    const refused = new FanoutError('CONNECTION_REFUSED', 'connect ECONNREFUSED');
    expect(serverUnreachable(refused, { connected: false })).toBe(true);
    expect(serverUnreachable(refused, { connected: true })).toBe(false);
    expect(serverUnreachable(new FanoutError('TLS_FAILED', 'x'), { connected: true })).toBe(true);
    expect(serverUnreachable(new FanoutError('BOOK_NOT_FOUND', 'x'), { connected: false })).toBe(false);
  });

  it('an error of a whole batch is reported with each item its own context', async () => {
    const reported: Array<{ item: number; ebook: unknown; host: unknown }> = [];
    let batches = 0;
    await runPool<number>({
      items: Array.from({ length: 12 }, (_, i) => 10 + i), workers: 1, strategy: 'adaptive', total: 12, signal: new AbortController().signal, telemetry: new JobTelemetry({ workers: 1 }),
      attempts: 1, baseDelayMs: 1, label: (i) => `item ${i}`, context: (i) => ({ ebook: i }),
      onItemFailed: (i, err) => reported.push({ item: i, ebook: err.context.ebook, host: err.context.host }),
      openWorker: async () => ({
        process: async (item) => {
          throw new FanoutError('FTP_PERMANENT', 'refused', { host: 'h', ebook: item });
        },
        processBatch: async (batch) => {
          batches++;
          throw new FanoutError('FTP_PERMANENT', 'refused', { host: 'h', ebook: batch[0] });
        },
        close: async () => {},
      }),
    });
    for (const r of reported) expect(r).toMatchObject({ ebook: r.item, host: 'h' });
    expect(reported.map((r) => r.item).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => 10 + i));
    expect(batches).toBeGreaterThan(0); // the whole-batch path was taken
  });
});
