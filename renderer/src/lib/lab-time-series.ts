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
  /** How many runs the cell had. */
  runs: number;
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
    s.points.push({ workers: r.workers, seconds: r.medianMs / 1000, lo: Math.min(r.medianMs, ...runs) / 1000, hi: Math.max(r.medianMs, ...runs) / 1000, runs: Math.max(1, runs.length) });
  }
  for (const s of out) s.points.sort((a, b) => a.workers - b.workers);
  return out;
}

/**
 * Which strategy was fastest at one worker count. 'clear': its slowest run beat every other
 * strategy's fastest run. 'overlap': its median is the lowest, but the runs' fastest–slowest ranges
 * of the strategies in `tied` overlap its own: no clear winner from these runs. 'one-run': a cell
 * there was run once, so no spread is known.
 */
export interface Fastest {
  workers: number;
  /** The strategy with the lowest median time. */
  label: string;
  seconds: number;
  verdict: 'clear' | 'overlap' | 'one-run';
  /** The fastest and every strategy whose range overlaps its range (fastest first, by median). */
  tied: string[];
  /** The fewest runs of a cell at this worker count. */
  runs: number;
  /** Every strategy measured there, by median time. */
  at: Array<{ label: string; seconds: number; lo: number; hi: number; runs: number }>;
}

/**
 * The fastest strategy at each worker count measured by more than one (where the time chart and the
 * speedup chart can disagree), named as a winner only when the runs say so: three runs whose ranges
 * overlap do not make the lower median the faster strategy.
 */
export function fastestByWorkers(series: readonly TimeSeries[]): Fastest[] {
  const counts = [...new Set(series.flatMap((s) => s.points.map((p) => p.workers)))].sort((a, b) => a - b);
  const out: Fastest[] = [];
  for (const n of counts) {
    const at = series
      .flatMap((s) => s.points.filter((p) => p.workers === n).map((p) => ({ label: s.label, seconds: p.seconds, lo: p.lo, hi: p.hi, runs: p.runs })))
      .sort((a, b) => a.seconds - b.seconds);
    if (at.length < 2) continue;
    const best = at[0]!;
    const runs = Math.min(...at.map((x) => x.runs));
    const tied = [best.label, ...at.slice(1).filter((x) => x.lo <= best.hi).map((x) => x.label)];
    const verdict = runs < 2 ? 'one-run' : tied.length > 1 ? 'overlap' : 'clear';
    out.push({ workers: n, label: best.label, seconds: best.seconds, verdict, tied: verdict === 'one-run' ? [best.label] : tied, runs, at });
  }
  return out;
}

const sec = (x: number) => `${x.toFixed(2)} s`;

/** One worker count's verdict in words, for the line above the time chart. */
export function fastestText(f: Fastest): string {
  if (f.verdict === 'clear') return `at ${f.workers}, ${f.label} (${sec(f.seconds)}; its slowest run beat the others' fastest)`;
  if (f.verdict === 'one-run') return `at ${f.workers}, ${f.label} by one run each (${sec(f.seconds)} against ${f.at.slice(1).map((x) => sec(x.seconds)).join(', ')}; repeat the cells to know)`;
  const tied = f.at.filter((x) => f.tied.includes(x.label));
  return `at ${f.workers}, no clear winner: ${tied.map((x) => `${x.label} ${sec(x.seconds)}`).join(', ')} (their runs' fastest–slowest ranges overlap)`;
}
