/**
 * How far a speedup lab's repeats of each cell lie apart, as bars on the speedup chart: each point is
 * S(n) = T(base) / median T(n); its bar runs from T(base) / slowest run to T(base) / fastest run of
 * that cell (the base held at its median, so the bar shows the cell's own spread). With one run per
 * cell there is nothing to draw, and the chart says so (the design asks for k ≥ 3 runs per cell).
 * Pure, for the chart and its test.
 */
import type { LabAnalysis } from '../../../shared/lab/lab-analysis';

export interface SpreadBar {
  workers: number;
  /** Speedup of the cell's slowest run. */
  lo: number;
  /** Speedup of its fastest run. */
  hi: number;
  runs: number;
}

export interface SeriesSpread {
  label: string;
  bars: SpreadBar[];
}

/** One entry per series of the analysis (in its order), with a bar for each of its cells run more than once. */
export function speedupSpread(a: Pick<LabAnalysis, 'series' | 'rows'>): SeriesSpread[] {
  return a.series.map((s) => ({
    label: s.label,
    bars: s.rows.flatMap((r): SpreadBar[] => {
      const cell = a.rows.find((x) => x.strategy === s.strategy && x.scrubExecutor === s.scrubExecutor && x.workers === r.workers);
      const runs = (cell?.wallMs ?? []).filter((w) => w > 0);
      if (runs.length < 2 || !(r.ms > 0)) return [];
      // The base time this point divides: S = T(base) / T(median).
      const base = r.speedup * r.ms;
      return [{ workers: r.workers, lo: base / Math.max(...runs), hi: base / Math.min(...runs), runs: runs.length }];
    }),
  }));
}

/** The line under the chart: what the bars are, or why there are none. */
export function spreadNote(spread: readonly SeriesSpread[], rows: ReadonlyArray<{ wallMs: readonly number[] }>): string {
  const counts = [...new Set(rows.map((r) => r.wallMs.length))].sort((x, y) => x - y);
  if (spread.every((s) => s.bars.length === 0)) return 'One run per cell: no spread to show. Set Repeats to 3 or more to see how far the runs of a cell lie apart.';
  const k = counts.length === 1 ? `${counts[0]}` : `${counts[0]}–${counts[counts.length - 1]}`;
  return `Bars: each cell's fastest to slowest of its ${k} runs (the point is their median).`;
}
