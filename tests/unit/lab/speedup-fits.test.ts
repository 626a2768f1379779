import { describe, expect, it } from 'vitest';
import { amdahlSpeedup, fitAmdahl, fitUsl, karpFlatt, karpFlattTrend, recommendWorkers, runSpeedup, speedupTable, uslSpeedup } from '../../../shared/lab/speedup-fits';

describe('Amdahl fit', () => {
  it('recovers f from exact Amdahl data', () => {
    for (const f of [0, 0.05, 0.2, 0.5, 1]) {
      const pts = [1, 2, 4, 8, 16].map((n) => ({ workers: n, speedup: amdahlSpeedup(n, f) }));
      const fit = fitAmdahl(pts);
      expect(fit.f).toBeCloseTo(f, 10);
      expect(fit.p).toBeCloseTo(1 - f, 10);
      expect(fit.used).toBe(4);
    }
  });

  it('clamps to [0, 1] for super-linear or slowing-down data and handles no data', () => {
    expect(fitAmdahl([{ workers: 2, speedup: 2.5 }, { workers: 4, speedup: 6 }]).f).toBe(0);
    expect(fitAmdahl([{ workers: 2, speedup: 2.5 }]).ceiling).toBe(Infinity);
    expect(fitAmdahl([{ workers: 2, speedup: 0.5 }, { workers: 4, speedup: 0.4 }]).f).toBe(1);
    expect(fitAmdahl([{ workers: 1, speedup: 1 }])).toMatchObject({ f: 1, used: 0 });
  });

  it('is the least-squares solution on noisy data', () => {
    const pts = [{ workers: 2, speedup: 1.8 }, { workers: 4, speedup: 3.1 }, { workers: 8, speedup: 4.2 }, { workers: 16, speedup: 5.0 }];
    const { f } = fitAmdahl(pts);
    const sse = (g: number) => pts.reduce((s, p) => s + (1 / p.speedup - (g + (1 - g) / p.workers)) ** 2, 0);
    expect(sse(f)).toBeLessThanOrEqual(sse(f + 1e-3));
    expect(sse(f)).toBeLessThanOrEqual(sse(f - 1e-3));
  });

  it('computes speedup, efficiency, Karp–Flatt and a recommendation', () => {
    const rows = speedupTable([
      { workers: 4, ms: 300 },
      { workers: 1, ms: 1000 },
      { workers: 2, ms: 520 },
      { workers: 8, ms: 280 },
    ]);
    expect(rows.map((r) => r.workers)).toEqual([1, 2, 4, 8]);
    expect(rows[1]!.speedup).toBeCloseTo(1000 / 520);
    expect(rows[3]!.efficiency).toBeCloseTo(1000 / 280 / 8);
    expect(Number.isNaN(rows[0]!.karpFlatt)).toBe(true);
    expect(karpFlatt(2, 2)).toBeCloseTo(0);
    // 8 workers is only 7% faster than 4: recommend 4.
    expect(recommendWorkers(rows)).toBe(4);
    expect(recommendWorkers([])).toBe(1);
  });

  it('uses a baseline when the 1-worker point is missing', () => {
    expect(speedupTable([{ workers: 2, ms: 500 }], 1000)[0]!.speedup).toBe(2);
    // Neither a one-worker time nor a baseline: no speedup is stated.
    expect(speedupTable([{ workers: 2, ms: 500 }])).toEqual([]);
  });
});

describe('USL fit', () => {
  const ns = [1, 2, 4, 8, 16, 32];

  it('recovers σ, κ and the peak N* from exact USL data', () => {
    for (const [sigma, kappa] of [[0.05, 0.001], [0.2, 0.01], [0, 0.002], [0.1, 0]] as const) {
      const fit = fitUsl(ns.map((n) => ({ workers: n, speedup: uslSpeedup(n, sigma, kappa) })));
      expect(fit.sigma).toBeCloseTo(sigma, 9);
      expect(fit.kappa).toBeCloseTo(kappa, 9);
      expect(fit.used).toBe(5);
      if (kappa > 0) {
        expect(fit.peak).toBeCloseTo(Math.sqrt((1 - sigma) / kappa), 6);
        expect(fit.peakSpeedup).toBeCloseTo(uslSpeedup(fit.peak, sigma, kappa), 9);
      } else {
        expect(fit.peak).toBe(Infinity);
        expect(fit.peakSpeedup).toBeCloseTo(1 / sigma, 9);
      }
    }
  });

  it('is Amdahl when κ = 0', () => {
    const pts = ns.map((n) => ({ workers: n, speedup: amdahlSpeedup(n, 0.1) }));
    expect(fitUsl(pts).sigma).toBeCloseTo(fitAmdahl(pts).f, 9);
    expect(uslSpeedup(1, 0.3, 0.1)).toBe(1);
  });

  it('finds a retrograde peak inside the measured range', () => {
    // Throughput rises to ~8 workers, then falls.
    const pts = [{ workers: 2, speedup: 1.9 }, { workers: 4, speedup: 3.3 }, { workers: 8, speedup: 4.4 }, { workers: 16, speedup: 3.9 }, { workers: 32, speedup: 2.6 }];
    const fit = fitUsl(pts);
    expect(fit.kappa).toBeGreaterThan(0);
    expect(fit.peak).toBeGreaterThan(6);
    expect(fit.peak).toBeLessThan(14);
    // Least squares in the linearised space: no feasible neighbour does better.
    const sse = (sg: number, kp: number) => pts.reduce((a, p) => a + (p.workers / p.speedup - 1 - sg * (p.workers - 1) - kp * p.workers * (p.workers - 1)) ** 2, 0);
    const e = sse(fit.sigma, fit.kappa);
    for (const [ds, dk] of [[1e-3, 0], [-1e-3, 0], [0, 1e-5], [0, -1e-5]]) expect(e).toBeLessThanOrEqual(sse(fit.sigma + ds!, fit.kappa + dk!) + 1e-12);
  });

  it('clamps σ and κ at 0 for super-linear data and handles too few points', () => {
    const superLinear = fitUsl([2, 4, 8].map((n) => ({ workers: n, speedup: 1.1 * n })));
    expect(superLinear).toMatchObject({ sigma: 0, kappa: 0, peak: Infinity, peakSpeedup: Infinity });
    // Super-linear at first, then falling: the free fit has σ ≈ -0.045 (κ ≈ 0.007); the boundary fit keeps σ = 0
    // and κ is the least-squares κ alone, Σ n(n-1)·y / Σ (n(n-1))² with y = n/S - 1.
    const pts = [{ workers: 2, speedup: 2.2 }, { workers: 4, speedup: 4.6 }, { workers: 8, speedup: 7 }, { workers: 16, speedup: 8 }];
    const curved = fitUsl(pts);
    const x = pts.map((p) => p.workers * (p.workers - 1));
    const kappaAlone = pts.reduce((a, p, i) => a + x[i]! * (p.workers / p.speedup - 1), 0) / x.reduce((a, v) => a + v * v, 0);
    expect(curved.sigma).toBe(0);
    expect(curved.kappa).toBeCloseTo(kappaAlone, 12);
    expect(fitUsl([{ workers: 1, speedup: 1 }])).toMatchObject({ sigma: 0, kappa: 0, used: 0 });
    // One point: the two regressors are collinear; the Amdahl-shaped answer (κ = 0) is taken.
    const one = fitUsl([{ workers: 4, speedup: 2 }]);
    expect(one.kappa).toBe(0);
    expect(uslSpeedup(4, one.sigma, 0)).toBeCloseTo(2, 9);
  });

  it('reads the Karp–Flatt trend and places a normal run on the curves', () => {
    const rows = (f: (n: number) => number) => speedupTable([1, 2, 4, 8, 16].map((n) => ({ workers: n, ms: 1000 / f(n) })));
    expect(karpFlattTrend(rows((n) => amdahlSpeedup(n, 0.1)))).toBe('flat');
    expect(karpFlattTrend(rows((n) => uslSpeedup(n, 0.02, 0.01)))).toBe('rising');
    expect(karpFlattTrend(rows((n) => n).slice(0, 2))).toBeNull();
    expect(runSpeedup({ bytes: 4000, wallMs: 1000 }, { bytes: 1000, ms: 1000 })).toBe(4);
    expect(runSpeedup({ bytes: 4000, wallMs: 1000 }, null)).toBeNull();
    expect(runSpeedup({ bytes: 0, wallMs: 1000 }, { bytes: 1, ms: 1 })).toBeNull();
  });
});
