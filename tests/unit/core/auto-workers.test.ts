import { describe, expect, it } from 'vitest';
import { AutoWorkersController } from '../../../electron/engine/core/auto-workers';
import { fitSerialFraction } from '../../../shared/lab/speedup-fits';
import { amdahlSpeedup } from '../../../shared/lab/speedup-fits';
import type { AutoWorkersDecision } from '../../../shared/events';

/**
 * Drives a controller with synthetic counters: at N connections the job moves `rate(N)` bytes/s and
 * finishes `itemsPerSec(N)` items/s; the clock ticks every 100 ms. Stops when settled or after `maxMs`.
 */
function drive(c: AutoWorkersController, rate: (n: number) => number, opts: { maxMs?: number; refuseAbove?: number } = {}) {
  const decisions: AutoWorkersDecision[] = [c.startDecision()];
  let bytes = 0;
  let items = 0;
  let peak = c.target;
  for (let t = 0; t <= (opts.maxMs ?? 60_000) && !c.settled; t += 100) {
    // A server limit: asking for more than it accepts is refused at once, holding what it allows.
    if (opts.refuseAbove !== undefined && c.target > opts.refuseAbove) {
      const d = c.refused(t, opts.refuseAbove);
      if (d) decisions.push(d);
    }
    peak = Math.max(peak, c.target);
    const n = c.target;
    bytes += rate(n) / 10;
    items += n; // every connection finishes ten items a second
    const d = c.observe({ atMs: t, bytes, items });
    if (d) decisions.push(d);
  }
  return { decisions, peak };
}

describe('AutoWorkersController', () => {
  it('adds connections while throughput grows in proportion', () => {
    const c = new AutoWorkersController({ start: 2, max: 32 });
    const { decisions } = drive(c, (n) => n * 100_000);
    const adds = decisions.filter((d) => d.action === 'add').map((d) => d.workers);
    // ×2 first, then ×4 after each step that gained in proportion.
    expect(adds).toEqual([4, 16, 32]);
    expect(c.target).toBe(32);
    expect(decisions.at(-1)!.action).toBe('hold');
    expect(decisions.at(-1)!.why).toMatch(/maximum, 32/);
  });

  it('stops adding when throughput is flat, going back to the knee', () => {
    const c = new AutoWorkersController({ start: 2, max: 32 });
    // The link saturates at 6 connections: 2 → 4 is linear, so it jumps to 16, gaining 50 %, then
    // tries 32, which gains nothing: back to 16.
    const { decisions, peak } = drive(c, (n) => Math.min(n, 6) * 100_000);
    expect(peak).toBe(32);
    expect(c.settled).toBe(true);
    expect(c.target).toBe(16);
    // Flat against a short reading at 16: back to 16, read again over a long window: the knee.
    const last = decisions.at(-1)!;
    expect(decisions.at(-2)).toMatchObject({ action: 'back-off', workers: 16 });
    expect(last).toMatchObject({ action: 'hold', workers: 16 });
    expect(last.why).toMatch(/16 → 32 gained 0 % .*the knee is 16/);
  });

  it('stops at the start when one more step gains nothing', () => {
    const c = new AutoWorkersController({ start: 2, max: 32 });
    drive(c, () => 500_000);
    expect(c.target).toBe(2);
    expect(c.settled).toBe(true);
  });

  it('settles where the fitted serial fraction says the next step would not pay', () => {
    const c = new AutoWorkersController({ start: 2, max: 64, minGain: 0.1 });
    // Amdahl with f = 0.3: 2→4 gains 37 %, 4→8 23 %, 8→16 13 %, 16→32 would gain 7 %.
    const { decisions } = drive(c, (n) => amdahlSpeedup(n, 0.3) * 100_000);
    expect(c.settled).toBe(true);
    expect(c.target).toBe(16);
    expect(decisions.at(-1)!.action).toBe('hold');
    expect(decisions.at(-1)!.why).toMatch(/serial fraction 0\.30 predicts 16 → 32 gains 7 %/);
  });

  it('backs off on a refusal and never asks for more than the server showed it accepts', () => {
    const c = new AutoWorkersController({ start: 2, max: 32 });
    const { decisions } = drive(c, (n) => n * 100_000, { refuseAbove: 3 });
    const refusal = decisions.findIndex((d) => d.action === 'back-off' && /refused/.test(d.why));
    expect(refusal).toBeGreaterThan(0);
    expect(decisions[refusal]!.workers).toBe(3);
    expect(c.limit).toBe(3);
    for (const d of decisions.slice(refusal)) expect(d.workers).toBeLessThanOrEqual(3);
    expect(c.target).toBe(3);
    expect(c.settled).toBe(true);
  });

  it('after a refusal below the N it stepped up from, a flat window never sends it back above the limit', () => {
    const c = new AutoWorkersController({ start: 4, max: 32, minWindowMs: 200 });
    // 4 connections measured, so it steps up to 8 (previous N: 4)...
    c.observe({ atMs: 0, bytes: 0, items: 0 });
    c.observe({ atMs: 100, bytes: 0, items: 4 });
    expect(c.observe({ atMs: 400, bytes: 300_000, items: 20 })).toMatchObject({ action: 'add', workers: 8 });
    // ...and the server turns out to allow 3: fewer than the 4 it stepped up from.
    expect(c.refused(450, 3)).toMatchObject({ action: 'back-off', workers: 3 });
    // The same throughput at 3 as at 4 must not read as "4 → 3 was flat, go back to 4".
    c.observe({ atMs: 500, bytes: 300_000, items: 20 });
    c.observe({ atMs: 600, bytes: 300_000, items: 22 });
    const d = c.observe({ atMs: 900, bytes: 600_000, items: 40 });
    expect(d).not.toBeNull();
    expect(d!.workers).toBeLessThanOrEqual(3);
    expect(c.target).toBe(3);
  });

  it('never exceeds its maximum', () => {
    const c = new AutoWorkersController({ start: 2, max: 5 });
    const { peak } = drive(c, (n) => n * 100_000);
    expect(peak).toBe(5);
    expect(c.target).toBe(5);
  });

  it('waits for each connection to finish items before measuring (no decision from a warm-up)', () => {
    const c = new AutoWorkersController({ start: 4, minWindowMs: 400 });
    expect(c.observe({ atMs: 0, bytes: 0, items: 0 })).toBeNull();
    // 2 s pass but only 1 item finished: fewer than half the 4 connections, still warming up.
    expect(c.observe({ atMs: 2000, bytes: 1e6, items: 1 })).toBeNull();
    expect(c.observe({ atMs: 2100, bytes: 1.1e6, items: 4 })).toBeNull(); // window starts here
    expect(c.observe({ atMs: 2300, bytes: 1.3e6, items: 9 })).toBeNull(); // 200 ms: too short
    const d = c.observe({ atMs: 2500, bytes: 1.5e6, items: 12 });
    expect(d?.action).toBe('add');
    expect(d?.throughput).toBeCloseTo(1e6, -3);
  });
});

describe('fitSerialFraction', () => {
  it('recovers f from throughputs that follow Amdahl', () => {
    const pts = [2, 4, 8, 16].map((n) => ({ workers: n, throughput: amdahlSpeedup(n, 0.2) * 7 }));
    expect(fitSerialFraction(pts)).toBeCloseTo(0.2, 2);
  });
  it('is 0 for linear growth and 1 for none', () => {
    expect(fitSerialFraction([{ workers: 2, throughput: 2 }, { workers: 4, throughput: 4 }])).toBe(0);
    expect(fitSerialFraction([{ workers: 2, throughput: 2 }, { workers: 4, throughput: 2 }])).toBe(1);
  });
});
