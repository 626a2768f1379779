/**
 * Speedup fits for the lab (see docs: dashboard.md §3). Pure functions, shared by the UI and the CLI lab.
 *
 * Amdahl: S(n) = 1 / (f + (1 − f)/n), f = serial fraction, p = 1 − f = parallel fraction.
 * With x = 1/n and y = 1/S the model is y − x = f·(1 − x), so the least-squares f is
 * Σ(1−x)(y−x) / Σ(1−x)², clamped to [0, 1]. No optimiser needed.
 */

export interface SpeedupPoint {
  workers: number;
  /** Median wall time at this worker count, ms. */
  ms: number;
}

export interface AmdahlFit {
  /** Serial fraction f, 0..1. */
  f: number;
  /** Parallel fraction p = 1 − f. */
  p: number;
  /** Asymptotic speedup 1/f (Infinity when f = 0). */
  ceiling: number;
  /** Points used for the fit (n > 1 only carry information). */
  used: number;
}

export function amdahlSpeedup(n: number, f: number): number {
  return 1 / (f + (1 - f) / n);
}

/** Least-squares Amdahl fit over (n, S) pairs. Points with n ≤ 1 or S ≤ 0 are ignored. */
export function fitAmdahl(points: ReadonlyArray<{ workers: number; speedup: number }>): AmdahlFit {
  let num = 0;
  let den = 0;
  let used = 0;
  for (const { workers: n, speedup: s } of points) {
    if (!(n > 1) || !(s > 0) || !Number.isFinite(s)) continue;
    const x = 1 / n;
    const y = 1 / s;
    num += (1 - x) * (y - x);
    den += (1 - x) * (1 - x);
    used++;
  }
  const f = den > 0 ? Math.min(1, Math.max(0, num / den)) : 1;
  return { f, p: 1 - f, ceiling: f > 0 ? 1 / f : Infinity, used };
}

/**
 * Amdahl's f from throughputs measured at a few N, none of them 1 (`--workers auto` starts at 4):
 * least squares of x(n)/x(n0) against A(n)/A(n0), n0 the smallest N, by a 1-D grid search.
 */
export function fitSerialFraction(points: ReadonlyArray<{ workers: number; throughput: number }>): number {
  if (points.length < 2) return 0;
  const base = points.reduce((a, b) => (b.workers < a.workers ? b : a));
  if (!(base.throughput > 0)) return 1;
  let best = 0;
  let bestErr = Infinity;
  for (let i = 0; i <= 1000; i++) {
    const f = i / 1000;
    let err = 0;
    for (const p of points) {
      const predicted = amdahlSpeedup(p.workers, f) / amdahlSpeedup(base.workers, f);
      err += (p.throughput / base.throughput - predicted) ** 2;
    }
    if (err < bestErr - 1e-15) {
      bestErr = err;
      best = f;
    }
  }
  return best;
}

export interface UslFit {
  /** Contention σ ≥ 0 (the serial part; κ = 0 makes this Amdahl's f). */
  sigma: number;
  /** Coherency / crosstalk κ ≥ 0 (what makes throughput fall past a peak). */
  kappa: number;
  /** N* = √((1 − σ)/κ), the worker count of peak speedup; Infinity when κ = 0. */
  peak: number;
  /** Predicted speedup at N* (at most 1/σ as N → ∞ when κ = 0). */
  peakSpeedup: number;
  /** Points used (n > 1). */
  used: number;
}

/** Gunther's Universal Scalability Law: C(n) = n / (1 + σ(n − 1) + κ·n(n − 1)). */
export function uslSpeedup(n: number, sigma: number, kappa: number): number {
  return n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
}

/**
 * USL fit over (n, S) pairs, closed form (dashboard.md §3): with y = n/S − 1, a = n − 1 and
 * b = n(n − 1) the model is y = σ·a + κ·b, a two-regressor least-squares fit with no intercept.
 * σ and κ are constrained to σ ∈ [0, 1], κ ≥ 0: when the free solution breaks a bound, the best
 * fit on the boundary (σ alone, κ alone, or both 0) is taken. Points with n ≤ 1 or S ≤ 0 are ignored.
 */
export function fitUsl(points: ReadonlyArray<{ workers: number; speedup: number }>): UslFit {
  const rows: Array<{ a: number; b: number; y: number }> = [];
  for (const { workers: n, speedup: s } of points) {
    if (!(n > 1) || !(s > 0) || !Number.isFinite(s)) continue;
    rows.push({ a: n - 1, b: n * (n - 1), y: n / s - 1 });
  }
  let saa = 0, sab = 0, sbb = 0, say = 0, sby = 0;
  for (const r of rows) {
    saa += r.a * r.a;
    sab += r.a * r.b;
    sbb += r.b * r.b;
    say += r.a * r.y;
    sby += r.b * r.y;
  }
  const sse = (sg: number, kp: number) => rows.reduce((acc, r) => acc + (r.y - sg * r.a - kp * r.b) ** 2, 0);
  const feasible = (sg: number, kp: number) => sg >= 0 && sg <= 1 && kp >= 0;
  let best: [number, number] = [0, 0];
  const det = saa * sbb - sab * sab;
  // The free solution, when the two regressors are not collinear (≥ 2 distinct n).
  const free: [number, number] | null = det > 1e-12 * saa * sbb ? [(say * sbb - sby * sab) / det, (saa * sby - sab * say) / det] : null;
  if (free && feasible(...free)) best = free;
  else {
    // Boundary candidates: κ = 0 (Amdahl), σ = 0, σ = 1, or both 0; the first wins ties.
    const cands: Array<[number, number]> = [[saa > 0 ? Math.min(1, Math.max(0, say / saa)) : 0, 0], [0, sbb > 0 ? Math.max(0, sby / sbb) : 0]];
    if (sbb > 0) cands.push([1, Math.max(0, (sby - sab) / sbb)]);
    cands.push([0, 0]);
    let bestSse = Infinity;
    for (const c of cands) {
      const e = sse(...c);
      if (e < bestSse - 1e-15) {
        bestSse = e;
        best = c;
      }
    }
  }
  const [sigma, kappa] = best;
  const peak = kappa > 0 && sigma < 1 ? Math.sqrt((1 - sigma) / kappa) : Infinity;
  const peakSpeedup = Number.isFinite(peak) ? uslSpeedup(peak, sigma, kappa) : sigma > 0 ? 1 / sigma : Infinity;
  return { sigma, kappa, peak, peakSpeedup, used: rows.length };
}

/**
 * Whether Karp–Flatt's e(n) rises with n (overhead grows: contention) rather than staying flat
 * (a real serial fraction): the least-squares slope of e against n, over the e range's mean.
 */
export function karpFlattTrend(rows: ReadonlyArray<{ workers: number; karpFlatt: number }>): 'rising' | 'flat' | 'falling' | null {
  const pts = rows.filter((r) => r.workers > 1 && Number.isFinite(r.karpFlatt));
  if (pts.length < 3) return null;
  const mx = pts.reduce((a, r) => a + r.workers, 0) / pts.length;
  const my = pts.reduce((a, r) => a + r.karpFlatt, 0) / pts.length;
  let num = 0;
  let den = 0;
  for (const r of pts) {
    num += (r.workers - mx) * (r.karpFlatt - my);
    den += (r.workers - mx) ** 2;
  }
  const slope = den > 0 ? num / den : 0;
  // Change of e across the measured range, against a floor of 0.02 (2 points of serial fraction).
  const change = slope * (Math.max(...pts.map((r) => r.workers)) - Math.min(...pts.map((r) => r.workers)));
  const scale = Math.max(0.02, Math.abs(my));
  if (change > 0.5 * scale) return 'rising';
  if (change < -0.5 * scale) return 'falling';
  return 'flat';
}

/**
 * A normal run placed on the lab's curves: its throughput (bytes/s) over the lab's one-worker
 * throughput on the same job. Null when either is unknown.
 */
export function runSpeedup(run: { bytes: number; wallMs: number }, base: { bytes: number; ms: number } | null): number | null {
  if (!base || !(base.ms > 0) || !(base.bytes > 0) || !(run.wallMs > 0) || !(run.bytes > 0)) return null;
  return run.bytes / run.wallMs / (base.bytes / base.ms);
}

/** Karp–Flatt experimentally determined serial fraction e(n) = (1/S − 1/n)/(1 − 1/n); NaN at n = 1. */
export function karpFlatt(n: number, speedup: number): number {
  if (n <= 1) return NaN;
  return (1 / speedup - 1 / n) / (1 - 1 / n);
}

export interface SpeedupRow {
  workers: number;
  ms: number;
  speedup: number;
  efficiency: number;
  karpFlatt: number;
}

/**
 * Speedup S(n) = T(base)/T(n) and efficiency E(n) = S(n)/n for one strategy's points. The base is
 * that strategy's 1-worker time, else `baselineMs` (e.g. the serial run); with neither measured
 * there is no speedup to state (an invented base would make every number after it a guess).
 */
export function speedupTable(points: readonly SpeedupPoint[], baselineMs?: number): SpeedupRow[] {
  const sorted = [...points].filter((p) => p.ms > 0).sort((a, b) => a.workers - b.workers);
  if (sorted.length === 0) return [];
  const t1 = sorted.find((p) => p.workers === 1)?.ms ?? baselineMs;
  if (t1 === undefined || !(t1 > 0)) return [];
  return sorted.map((p) => {
    const speedup = t1 / p.ms;
    return { workers: p.workers, ms: p.ms, speedup, efficiency: speedup / p.workers, karpFlatt: karpFlatt(p.workers, speedup) };
  });
}

/**
 * The recommended worker count: the fewest workers reaching 90% of the best measured speedup
 * while keeping efficiency at or above `minEfficiency` (adding workers past that point mostly
 * adds load on the server). Falls back to the best-speedup count, then 1.
 */
export function recommendWorkers(rows: readonly SpeedupRow[], minEfficiency = 0.5): number {
  if (rows.length === 0) return 1;
  const best = Math.max(...rows.map((r) => r.speedup));
  const good = rows.filter((r) => r.speedup >= 0.9 * best && r.efficiency >= minEfficiency);
  if (good.length > 0) return Math.min(...good.map((r) => r.workers));
  return rows.reduce((a, b) => (b.speedup > a.speedup ? b : a)).workers;
}
