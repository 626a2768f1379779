/**
 * The lab's cells as wall time against workers, one curve per strategy (and scrub executor): the
 * chart that compares strategies. The speedup chart divides each strategy by its own one-worker
 * time, so a strategy that is fast with one worker (adaptive pipelines its requests) draws a lower
 * curve while it is the faster one: in HU's walk adaptive took 0.43 s at 4 workers against queue's
 * 0.53 s and read 1.7x against 3.2x. Time is the same measure for every strategy. Pure.
 */
import type { LabRow } from '../../../shared/lab/lab-analysis';

export interface TimePoint {
  workers: number;
  /** Median wall time of the cell's runs, seconds. */
  seconds: number;
  /** Its fastest and slowest run, seconds (equal with one run). */
  lo: number;
  hi: number;
}

export interface TimeSeries {
  label: string;
  points: TimePoint[];
}

/** One curve per strategy × executor present, in the analysis's row order; cells without a time are left out. */
export function labTimeSeries(rows: readonly Pick<LabRow, 'strategy' | 'scrubExecutor' | 'workers' | 'medianMs' | 'wallMs'>[], label: (strategy: LabRow['strategy'], executor: LabRow['scrubExecutor']) => string): TimeSeries[] {
  const out: TimeSeries[] = [];
  for (const r of rows) {
    if (!(r.medianMs > 0)) continue;
    const name = label(r.strategy, r.scrubExecutor);
    let s = out.find((x) => x.label === name);
    if (!s) out.push((s = { label: name, points: [] }));
    const runs = r.wallMs.filter((w) => w > 0);
    s.points.push({ workers: r.workers, seconds: r.medianMs / 1000, lo: Math.min(r.medianMs, ...runs) / 1000, hi: Math.max(r.medianMs, ...runs) / 1000 });
  }
  for (const s of out) s.points.sort((a, b) => a.workers - b.workers);
  return out;
}

/** The fastest strategy at each worker count measured by more than one (where the time chart and the speedup chart can disagree). */
export function fastestByWorkers(series: readonly TimeSeries[]): Array<{ workers: number; label: string; seconds: number }> {
  const counts = [...new Set(series.flatMap((s) => s.points.map((p) => p.workers)))].sort((a, b) => a - b);
  const out: Array<{ workers: number; label: string; seconds: number }> = [];
  for (const n of counts) {
    const at = series.flatMap((s) => s.points.filter((p) => p.workers === n).map((p) => ({ label: s.label, seconds: p.seconds })));
    if (at.length < 2) continue;
    const best = at.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    out.push({ workers: n, ...best });
  }
  return out;
}
