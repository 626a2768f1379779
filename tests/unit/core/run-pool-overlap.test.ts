import { describe, expect, it } from 'vitest';
import { runPool, type WorkerSession } from '../../../electron/engine/core/run-pool';
import { JobTelemetry } from '../../../electron/engine/core/job-telemetry';
import type { WorkerContext } from '../../../electron/engine/core/worker-context';
import type { Strategy } from '../../../shared/strategy';

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded: 5 s) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await tick(5);
  expect(cond()).toBe(true);
}

/**
 * A session whose items are received, then written: `received` once its data is in hand (a mail
 * chunk's FETCH over), and it settles when the test lets its writes finish.
 */
function heldSession(events: string[], callsReceived: boolean) {
  const writes = new Map<number, () => void>();
  const openWorker = async (): Promise<WorkerSession<number>> => ({
    process: async (item: number, ctx: WorkerContext) => {
      events.push(`start ${item}`);
      await tick();
      if (callsReceived) ctx.received?.();
      await new Promise<void>((resolve) => writes.set(item, resolve));
      events.push(`done ${item}`);
    },
    close: async () => {},
  });
  return { openWorker, finish: (item: number) => writes.get(item)?.(), writing: (item: number) => writes.has(item) };
}

function run(strategy: Strategy, workers: number, items: number[], openWorker: () => Promise<WorkerSession<number>>) {
  return runPool<number>({
    items, workers, strategy, signal: new AbortController().signal, telemetry: new JobTelemetry({ workers }),
    attempts: 2, baseDelayMs: 1, label: (i) => `item ${i}`, openWorker,
  });
}

describe('run pool: the next item once the one before is received', () => {
  it.each<Strategy>(['queue', 'serial'])('%s: a worker takes its next item while the one before settles, never more than two', async (strategy) => {
    const events: string[] = [];
    const s = heldSession(events, true);
    const pool = run(strategy, 1, [1, 2, 3], s.openWorker);
    await until(() => s.writing(1));
    // Item 1 is received, its writes held: item 2 is started meanwhile.
    await until(() => events.includes('start 2'));
    expect(events).not.toContain('done 1');
    await until(() => s.writing(2));
    // Two at once at most: item 3 waits for item 1 to settle.
    await tick(20);
    expect(events).not.toContain('start 3');
    s.finish(1);
    await until(() => events.includes('start 3'));
    s.finish(2);
    await until(() => s.writing(3));
    s.finish(3);
    const result = await pool;
    expect(result.seen).toBe(3);
    expect(events.filter((e) => e.startsWith('done')).sort()).toEqual(['done 1', 'done 2', 'done 3']);
  });

  it('a session that does not say received is followed when its item settles (as before)', async () => {
    const events: string[] = [];
    const s = heldSession(events, false);
    const pool = run('queue', 1, [1, 2], s.openWorker);
    await until(() => s.writing(1));
    await tick(20);
    expect(events).toEqual(['start 1']);
    s.finish(1);
    await until(() => s.writing(2));
    s.finish(2);
    await pool;
    expect(events).toEqual(['start 1', 'done 1', 'start 2', 'done 2']);
  });
});
