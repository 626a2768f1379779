/**
 * Speedup analysis for the lab (see docs: dashboard.md §3). Pure functions, unit-tested.
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
 * that strategy's 1-worker time, else `baselineMs` (e.g. the serial run), else the smallest n
 * (scaled so that S(n_min) = n_min).
 */
export function speedupTable(points: readonly SpeedupPoint[], baselineMs?: number): SpeedupRow[] {
  const sorted = [...points].filter((p) => p.ms > 0).sort((a, b) => a.workers - b.workers);
  if (sorted.length === 0) return [];
  const one = sorted.find((p) => p.workers === 1);
  const first = sorted[0]!;
  const t1 = one?.ms ?? baselineMs ?? first.ms * first.workers;
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

export interface LabCsvRow {
  strategy: string;
  scrubExecutor: string;
  workers: number;
  medianMs: number;
  wallMs: number[];
  speedup: number;
  efficiency: number;
  itemsDone: number;
  itemsFailed: number;
  bytes: number;
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function labCsv(rows: readonly LabCsvRow[]): string {
  const head = ['strategy', 'scrub_executor', 'workers', 'median_ms', 'wall_ms', 'speedup', 'efficiency', 'items_done', 'items_failed', 'bytes'];
  const lines = rows.map((r) =>
    [r.strategy, r.scrubExecutor, r.workers, Math.round(r.medianMs), r.wallMs.map(Math.round).join(' '), r.speedup.toFixed(3), r.efficiency.toFixed(3), r.itemsDone, r.itemsFailed, r.bytes]
      .map(csvCell)
      .join(','),
  );
  return [head.join(','), ...lines].join('\n') + '\n';
}
