/**
 * The speedup chart's spread bars: the numbers come from shared/lab/spread.ts (the same ones lab.svg
 * draws); here is the line under the chart that says what they are. Pure, for the chart and its test.
 */
import { speedupSpread, type SeriesSpread, type SpreadBar } from '../../../shared/lab/spread';

export { speedupSpread, type SeriesSpread, type SpreadBar };

/** The line under the chart: what the bars are, or why there are none. */
export function spreadNote(spread: readonly SeriesSpread[], rows: ReadonlyArray<{ wallMs: readonly number[] }>): string {
  const counts = [...new Set(rows.map((r) => r.wallMs.length))].sort((x, y) => x - y);
  if (spread.every((s) => s.bars.length === 0)) return 'One run per cell: no spread to show. Set Repeats to 3 or more to see how far the runs of a cell lie apart.';
  const k = counts.length === 1 ? `${counts[0]}` : `${counts[0]}–${counts[counts.length - 1]}`;
  return `Bars: each cell's fastest to slowest of its ${k} runs (the point is their median).`;
}
