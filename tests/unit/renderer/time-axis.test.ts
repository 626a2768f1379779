/**
 * The live view's throughput chart and worker timeline share one time axis (dashboard.md: one
 * overview, a dip lined up with the lanes by eye): both run from 0 to the last frame's time over the
 * same plot box, and the timeline has ticks (it had only "0 s" and the end).
 */
import { describe, expect, it } from 'vitest';
import { laneX, timeTicks } from '../../../renderer/src/charts/time-axis';

describe('the shared time axis', () => {
  it('ticks at 1-2-5 steps, at least ~70 px apart, from 0 up to the end', () => {
    expect(timeTicks(10_000, 700)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(timeTicks(10_000, 300)).toEqual([0, 5000, 10_000]);
    expect(timeTicks(1_100, 1200)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100]);
    expect(timeTicks(95_000, 700)).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000]);
    expect(timeTicks(0, 700)).toEqual([0]);
  });

  it('places t over the plot box the chart reports: t = 0 at its left edge, the end at its right', () => {
    const box = { left: 96, right: 58 };
    expect(laneX(0, 10_000, 1000, box)).toBe(96);
    expect(laneX(10_000, 10_000, 1000, box)).toBe(1000 - 58);
    expect(laneX(5_000, 10_000, 1000, box)).toBe(96 + (1000 - 96 - 58) / 2);
  });
});
