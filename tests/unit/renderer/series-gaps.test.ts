/** The throughput chart breaks its lines where no sample came, instead of drawing a change nobody measured. */
import { describe, expect, it } from 'vitest';
import { withGaps } from '../../../renderer/src/charts/series-gaps';

describe('withGaps', () => {
  it('puts a null row in a hole of 1.1 s among 100 ms samples (HU walk: 1.25 s → 2.35 s)', () => {
    const t = [1050, 1150, 1250, 2350, 2450];
    const rate = [5, 5.5, 5.5, 0.3, 7];
    const [tt, [r]] = withGaps(t, [rate]);
    expect(tt).toEqual([1050, 1150, 1250, 1800, 2350, 2450]);
    expect(r).toEqual([5, 5.5, 5.5, null, 0.3, 7]);
  });

  it('leaves evenly sampled series as they are (the same arrays), however slow the sampling', () => {
    const t = [0, 2000, 4000, 6000];
    const cols = [[1, 2, 3, 4]];
    const [tt, cc] = withGaps(t, cols);
    expect(tt).toBe(t);
    expect(cc).toBe(cols);
  });
});
