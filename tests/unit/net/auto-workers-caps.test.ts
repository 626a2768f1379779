import { describe, expect, it } from 'vitest';
import { AutoWorkersController } from '../../../electron/engine/core/auto-workers';
import type { AutoWorkersDecision } from '../../../shared/events';

/**
 * Drives the controller with synthetic counters: at N connections the job moves min(N × perConn, cap)
 * bytes/s and every connection finishes ten items a second; the clock ticks every 100 ms. The cap
 * may change at `capChangeAtMs`.
 */
function drive(c: AutoWorkersController, o: { perConn: number; cap: number | null; capAfter?: number | null; capChangeAtMs?: number; maxMs?: number }) {
  const decisions: AutoWorkersDecision[] = [c.startDecision()];
  let bytes = 0;
  let items = 0;
  let peak = c.target;
  for (let t = 0; t <= (o.maxMs ?? 20_000); t += 100) {
    const cap = o.capChangeAtMs !== undefined && t >= o.capChangeAtMs ? (o.capAfter ?? null) : o.cap;
    const n = c.target;
    peak = Math.max(peak, n);
    bytes += Math.min(n * o.perConn, cap ?? Infinity) / 10;
    items += n;
    const d = c.observe({ atMs: t, bytes, items, rateCap: cap });
    if (d) decisions.push(d);
  }
  return { decisions, peak };
}

describe('--workers auto under the job caps', () => {
  it('a bandwidth cap the start already fills: settles at the start, never adds', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    const { decisions, peak } = drive(c, { perConn: 1_000_000, cap: 500_000 });
    expect(peak).toBe(4);
    expect(decisions.map((d) => d.action)).toEqual(['start', 'hold']);
    expect(decisions[1]!.why).toMatch(/at the bandwidth cap \(500 kB\/s\).*settled at 4/);
  });

  it('a cap reached after one step: stops right after it (no step past the cap)', () => {
    const c = new AutoWorkersController({ start: 2, max: 32 });
    // 2 connections: 200 kB/s; 4: 400 kB/s = 90 % of a 440 kB/s cap.
    const { decisions, peak } = drive(c, { perConn: 100_000, cap: 440_000 });
    expect(peak).toBe(4);
    expect(decisions.map((d) => [d.action, d.workers])).toEqual([['start', 2], ['add', 4], ['hold', 4]]);
  });

  it('a cap raised while the job runs: measures again and climbs', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    const { decisions, peak } = drive(c, { perConn: 100_000, cap: 300_000, capAfter: null, capChangeAtMs: 3_000 });
    const i = decisions.findIndex((d) => /cap .* lifted: measuring again at 4/.test(d.why));
    expect(i).toBeGreaterThan(0);
    expect(decisions.slice(0, i).every((d) => d.workers <= 4)).toBe(true);
    expect(peak).toBeGreaterThan(4);
  });

  it('a server limit known at the start (learned or --max-per-host): never above it', () => {
    const c = new AutoWorkersController({ start: 4, max: 32, limit: 3 });
    expect(c.target).toBe(3);
    expect(c.startDecision().why).toBe("start with 3 connections (at most 3: the limit per server)");
    const { decisions, peak } = drive(c, { perConn: 100_000, cap: null });
    expect(peak).toBe(3);
    expect(decisions.at(-1)!.why).toMatch(/at the server's limit, 3/);
  });
});
