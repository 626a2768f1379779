import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TimeSeries } from '../lib/lab-time-series';
import { drawBars } from './spread-bars';

const COLORS = ['#2f80ed', '#27ae60', '#eb5757', '#9b51e0', '#f2994a'];

/**
 * Wall time against workers (log2 x axis), one curve per strategy with each cell's fastest-slowest
 * run as a bar: the chart that compares strategies (lower is faster), beside the speedup chart,
 * which divides each strategy by its own one-worker time.
 */
export function LabTimeChart({ series, testId = 'lab-time-chart' }: { series: TimeSeries[]; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || series.length === 0) return;
    const x = [...new Set(series.flatMap((s) => s.points.map((p) => p.workers)))].sort((a, b) => a - b);
    const ymax = Math.max(0.001, ...series.flatMap((s) => s.points.map((p) => p.hi))) * 1.08;
    const draw = (u: uPlot) => drawBars(u, series.map((s) => s.points), 1, COLORS);
    const opts: uPlot.Options = {
      width: el.clientWidth || 640,
      height: 240,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, distr: 3, log: 2, range: (_u, lo, hi) => (lo === hi ? [lo / 2, hi * 2] : [lo, hi]) }, y: { auto: false, range: [0, ymax] } },
      axes: [{ label: 'workers', size: 40 }, { label: 'time (s, lower is faster)', size: 56, values: (_u, t) => t.map((v) => v.toFixed(v < 1 ? 2 : 1)) }],
      hooks: { draw: [draw] },
      series: [
        {},
        ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true, points: { show: true, size: 7 } })),
      ],
    };
    const data = [x, ...series.map((s) => x.map((n) => s.points.find((p) => p.workers === n)?.seconds ?? null))];
    const u = new uPlot(opts, data as uPlot.AlignedData, el);
    el.dataset.points = JSON.stringify(series.map((s) => ({ label: s.label, points: s.points.map((p) => ({ workers: p.workers, seconds: p.seconds })) })));
    return () => u.destroy();
  }, [series]);
  return <div className="chart" ref={ref} data-testid={testId} />;
}
