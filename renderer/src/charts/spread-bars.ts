import type uPlot from 'uplot';
import { barSegments } from '../../../shared/lab/spread';

/** One bar: from `lo` to `hi` (y values) at `workers` (x). */
export interface Bar {
  workers: number;
  lo: number;
  hi: number;
}

/**
 * Draws bars (a vertical line with caps: shared/lab/spread.ts's `barSegments`, as lab.svg draws them) for each series in its colour, once uPlot has drawn the
 * plot (its `draw` hook): the speedup chart's spread and the time chart's fastest–slowest range.
 * `bars[i]` belongs to uPlot series `firstSeries + i`; a series hidden from the legend is skipped.
 */
export function drawBars(u: uPlot, bars: ReadonlyArray<ReadonlyArray<Bar>>, firstSeries: number, colors: readonly string[]): void {
  const ctx = u.ctx;
  const cap = 4 * devicePixelRatio;
  ctx.save();
  ctx.lineWidth = Math.max(1, devicePixelRatio);
  bars.forEach((series, i) => {
    if (u.series[firstSeries + i]?.show === false) return;
    ctx.strokeStyle = colors[i % colors.length]!;
    ctx.beginPath();
    for (const b of series) {
      if (b.hi <= b.lo) continue;
      const x = u.valToPos(b.workers, 'x', true);
      for (const [x0, y0, x1, y1] of barSegments(x, u.valToPos(b.lo, 'y', true), u.valToPos(b.hi, 'y', true), cap)) {
        ctx.moveTo(x0, y0);
        ctx.lineTo(x1, y1);
      }
    }
    ctx.stroke();
  });
  ctx.restore();
}
