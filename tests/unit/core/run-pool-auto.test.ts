import { describe, expect, it } from 'vitest';
import { runPool, type WorkerSession } from '../../../electron/engine/core/run-pool';
import { AutoWorkersController } from '../../../electron/engine/core/auto-workers';
import { JobTelemetry } from '../../../electron/engine/core/job-telemetry';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import type { AutoWorkersDecision } from '../../../shared/events';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sessions that each take `itemMs` per item (latency-bound: more sessions, more throughput); `limit` refuses more open at once. */
function sessions(opts: { itemMs: number; limit?: number; failFirst?: boolean; loginMs?: number }) {
  let open = 0;
  /** Items whose first attempt failed (with `failFirst`: each item's first attempt times out, no bytes). */
  const failed = new Set<number>();
  let peakOpen = 0;
  const done: number[] = [];
  const openWorker = async (): Promise<WorkerSession<number>> => {
    if (opts.limit !== undefined && open >= opts.limit) throw new FanoutError('TOO_MANY_CONNECTIONS', '421 too many connections');
    open++;
    peakOpen = Math.max(peakOpen, open);
    let loggedIn = false;
    return {
      async process(item, ctx) {
        if (opts.loginMs !== undefined && !loggedIn) {
          // Connects lazily, on its first item, as the FTP session does: then says it is at work.
          await wait(opts.loginMs);
          loggedIn = true;
          ctx.progress.setState('listing', String(item));
        }
        await wait(opts.itemMs);
        if (opts.failFirst && !failed.has(item)) {
          failed.add(item);
          throw new FanoutError('TIMEOUT', 'no answer');
        }
        ctx.progress.addBytes(1000);
        done.push(item);
      },
      async close() {
        open--;
      },
    };
  };
  return { openWorker, done, peak: () => peakOpen };
}

function run(items: number, max: number, s: ReturnType<typeof sessions>, controller = new AutoWorkersController({ start: 2, max, minWindowMs: 50 })) {
  const decisions: AutoWorkersDecision[] = [];
  const telemetry = new JobTelemetry({ workers: max });
  const result = runPool<number>({
    items: Array.from({ length: items }, (_, i) => i),
    workers: max,
    strategy: 'queue',
    signal: new AbortController().signal,
    telemetry,
    attempts: 3,
    baseDelayMs: 1,
    label: String,
    openWorker: s.openWorker,
    auto: { controller, onDecision: (d) => decisions.push(d), tickMs: 10 },
  });
  return { result, decisions, controller };
}

describe('runPool with auto workers', () => {
  it('grows above its start while more connections bring more throughput, and does every item', async () => {
    const s = sessions({ itemMs: 5 });
    const { result, decisions } = run(600, 16, s);
    const r = await result;
    expect(r.seen).toBe(600);
    expect(new Set(s.done).size).toBe(600);
    expect(decisions[0]!.action).toBe('start');
    expect(decisions.some((d) => d.action === 'add')).toBe(true);
    expect(s.peak()).toBeGreaterThan(2);
    expect(s.peak()).toBeLessThanOrEqual(16);
  });

  it('backs off to what a server limited to 3 accepts, never asking for more afterwards', async () => {
    const s = sessions({ itemMs: 5, limit: 3 });
    const { result, decisions, controller } = run(400, 32, s);
    const r = await result;
    expect(new Set(s.done).size).toBe(400);
    expect(s.peak()).toBeLessThanOrEqual(3);
    const refusal = decisions.findIndex((d) => /refused/.test(d.why));
    expect(refusal).toBeGreaterThan(0);
    for (const d of decisions.slice(refusal)) expect(d.workers).toBeLessThanOrEqual(3);
    expect(controller.limit).toBeLessThanOrEqual(3);
    expect(r.retired).toBeGreaterThanOrEqual(1);
  });

  it('tells the controller how long items waited for their first byte: items that only wait make the first step a jump', async () => {
    // Each item waits 5 ms, then its bytes arrive at once: nearly all waiting.
    const s = sessions({ itemMs: 5 });
    const samples: Array<{ waitMs?: number; transferMs?: number }> = [];
    const controller = new AutoWorkersController({ start: 2, max: 16, minWindowMs: 50, sizeFirstStep: true });
    const observe = controller.observe.bind(controller);
    controller.observe = (sample) => {
      samples.push(sample);
      return observe(sample);
    };
    const { result, decisions } = run(600, 16, s, controller);
    await result;
    const last = samples.at(-1)!;
    expect(last.waitMs).toBeGreaterThan(0);
    expect(last.waitMs!).toBeGreaterThan(4 * last.transferMs!);
    // 2 connections waiting 80 % or more of each item: the first step goes to 10 or more (×2 without the times).
    expect(decisions.find((d) => d.action === 'add')!.workers).toBeGreaterThanOrEqual(10);
  });

  it('tells the controller how long its sessions took to set up: slow logins make the first step before any item finished', async () => {
    // 60 ms logins, then items of 100 ms: the logins are known 100 ms (10 ticks) before the first item ends.
    const s = sessions({ itemMs: 100, loginMs: 60 });
    const samples: Array<{ setUps?: number; setUpMs?: number; items: number }> = [];
    const controller = new AutoWorkersController({ start: 2, max: 16, minWindowMs: 50, sizeFirstStep: true });
    const observe = controller.observe.bind(controller);
    controller.observe = (sample) => {
      samples.push(sample);
      return observe(sample);
    };
    const { result, decisions } = run(120, 16, s, controller);
    await result;
    const last = samples.at(-1)!;
    // Each session counted once, with its login's time (a timer may fire a millisecond early).
    expect(last.setUps).toBeGreaterThanOrEqual(2);
    expect(last.setUps).toBeLessThanOrEqual(16);
    expect(last.setUpMs! / last.setUps!).toBeGreaterThanOrEqual(55);
    const first = decisions.find((d) => d.action === 'add')!;
    expect(first).toMatchObject({ workers: 8 });
    expect(first.why).toMatch(/sessions (took|have taken) \d+ ms each( so far \(\d+ still logging in\))? to set up/);
  });

  it('sessions still logging in are evidence too: the set-up step is taken before any session is ready', async () => {
    // Logins that end only once the test lets them (after the first step, or 2 s at most).
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const bound = setTimeout(() => release(), 2_000);
    let readyBeforeStep = 0;
    const decisions: AutoWorkersDecision[] = [];
    const controller = new AutoWorkersController({ start: 2, max: 16, minWindowMs: 50, sizeFirstStep: true });
    const telemetry = new JobTelemetry({ workers: 16 });
    const result = runPool<number>({
      items: Array.from({ length: 40 }, (_, i) => i),
      workers: 16, strategy: 'queue', signal: new AbortController().signal, telemetry, attempts: 3, baseDelayMs: 1, label: String,
      openWorker: async () => {
        let loggedIn = false;
        return {
          async process(item, ctx) {
            if (!loggedIn) {
              await released;
              loggedIn = true;
              if (!decisions.some((d) => d.action === 'add')) readyBeforeStep++;
              ctx.progress.setState('listing', String(item));
            }
            await wait(5);
            ctx.progress.addBytes(1000);
          },
          async close() {},
        };
      },
      auto: {
        controller, tickMs: 10,
        onDecision: (d) => {
          decisions.push(d);
          if (d.action === 'add') release();
        },
      },
    });
    const r = await result;
    clearTimeout(bound);
    expect(r.cancelled).toBe(false);
    expect(telemetry.itemsDone).toBe(40);
    const first = decisions.find((d) => d.action === 'add')!;
    expect(first).toMatchObject({ workers: 8 });
    expect(first.why).toMatch(/^2 sessions have taken \d+ ms each so far \(2 still logging in\) to set up/);
    expect(readyBeforeStep).toBe(0);
  });

  it('an item that ends while an early step may come is read at once, not at the next tick', async () => {
    // A clock that never ticks within the job: the sized first step comes from the items' ends alone.
    const s = sessions({ itemMs: 20 });
    const controller = new AutoWorkersController({ start: 2, max: 16, minWindowMs: 50, sizeFirstStep: true });
    const decisions: AutoWorkersDecision[] = [];
    const telemetry = new JobTelemetry({ workers: 16 });
    await runPool<number>({
      items: Array.from({ length: 60 }, (_, i) => i),
      workers: 16, strategy: 'queue', signal: new AbortController().signal, telemetry, attempts: 3, baseDelayMs: 1, label: String,
      openWorker: s.openWorker,
      auto: { controller, onDecision: (d) => decisions.push(d), tickMs: 60_000 },
    });
    expect(telemetry.itemsDone).toBe(60);
    const first = decisions.find((d) => d.action === 'add')!;
    // Items that only wait (20 ms, then their bytes at once): the jump from 2 is sized from 2 items' waits.
    expect(first.why).toMatch(/^\d+ items waited \d+ % of their time for a first byte \(2 connections\); trying \d+ at once$/);
    expect(first.workers).toBeGreaterThan(4);
    // Only the early step is read that way: nothing else was decided without a tick.
    expect(decisions.filter((d) => d.action !== 'start')).toHaveLength(1);
  });

  it('items retried before their first byte do not count as waiting (a backoff is no latency of the server\'s)', async () => {
    // Every item's first attempt waits 5 ms and times out, the retry (after a backoff) moves its bytes at once.
    const s = sessions({ itemMs: 5, failFirst: true });
    const controller = new AutoWorkersController({ start: 2, max: 16, minWindowMs: 50, sizeFirstStep: true });
    const { result, decisions } = run(300, 16, s, controller);
    await result;
    expect(new Set(s.done).size).toBe(300);
    // No item counted: no first-step jump, × 2 as without the times.
    expect(decisions.find((d) => d.action === 'add')).toMatchObject({ workers: 4 });
  });
});
