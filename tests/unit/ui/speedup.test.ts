import { describe, expect, it } from 'vitest';
import { amdahlSpeedup, fitAmdahl, karpFlatt, labCsv, recommendWorkers, speedupTable } from '../../../renderer/src/lib/speedup';

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
    expect(speedupTable([{ workers: 2, ms: 500 }])[0]!.speedup).toBe(2);
  });

  it('exports CSV', () => {
    const csv = labCsv([{ strategy: 'queue', scrubExecutor: 'threads', workers: 2, medianMs: 500.4, wallMs: [500.4, 510], speedup: 2, efficiency: 1, itemsDone: 8, itemsFailed: 0, bytes: 100 }]);
    expect(csv).toBe('strategy,scrub_executor,workers,median_ms,wall_ms,speedup,efficiency,items_done,items_failed,bytes\nqueue,threads,2,500,500 510,2.000,1.000,8,0,100\n');
  });
});
