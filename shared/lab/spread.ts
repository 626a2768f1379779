/**
 * How far a speedup lab's repeats of each cell lie apart, and how a bar is drawn: one definition for
 * the chart in the app (renderer/src/charts/spread-bars.ts, on a canvas) and the lab.svg that
 * `fanout lab` and the app's Export write (lab-files.ts). Pure.
 *
 * Each point is S(n) = T(base) / median T(n); its bar runs from T(base) / slowest run to
 * T(base) / fastest run of that cell (the base held at its median, so the bar shows the cell's own
 * spread). With one run per cell there is nothing to draw (the design asks for k ≥ 3 runs per cell).
 */
import type { LabAnalysis } from './lab-analysis';

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

/** A line segment, x0 y0 x1 y1, in the drawing's own units. */
export type Segment = readonly [number, number, number, number];

/**
 * The strokes of one bar at `x` from `y0` to `y1`: the vertical line and a cap of half-width `cap`
 * at each end. Empty when there is no range (a bar with hi <= lo is skipped, on the chart and in the SVG).
 */
export function barSegments(x: number, y0: number, y1: number, cap: number): Segment[] {
  if (y0 === y1) return [];
  return [
    [x, y0, x, y1],
    [x - cap, y0, x + cap, y0],
    [x - cap, y1, x + cap, y1],
  ];
}
