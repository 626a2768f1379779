import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { amdahlSpeedup, type AmdahlFit, type SpeedupRow } from '../lib/speedup';

const COLORS = ['#2f80ed', '#27ae60', '#eb5757', '#9b51e0'];

export interface SpeedupSeries {
  label: string;
  rows: SpeedupRow[];
}

/**
 * Speedup against workers (log2 x axis): the ideal line y = n, each strategy's measured points,
 * and the fitted Amdahl curve of the best strategy. `onChart` hands out the uPlot instance for the
 * PNG export.
 */
export function SpeedupChart({ series, fit, onChart }: { series: SpeedupSeries[]; fit: AmdahlFit | null; onChart?: (u: uPlot | null) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || series.length === 0) return;
    const measured = new Set(series.flatMap((s) => s.rows.map((r) => r.workers)));
    const maxN = Math.max(2, ...measured);
    const xs = new Set<number>(measured);
    for (let n = 1; n <= maxN; n *= 1.1) xs.add(Number(n.toFixed(3)));
    xs.add(maxN);
    const x = [...xs].sort((a, b) => a - b);
    const ideal = x.map((n) => n);
    const amdahl = x.map((n) => (fit ? amdahlSpeedup(n, fit.f) : null));
    const cols = series.map((s) => x.map((n) => s.rows.find((r) => r.workers === n)?.speedup ?? null));
    const opts: uPlot.Options = {
      width: el.clientWidth || 640,
      height: 320,
      scales: { x: { time: false, distr: 3, log: 2 }, y: { auto: true, range: (_u, _min, max) => [0, Math.max(2, max * 1.05)] } },
      axes: [{ label: 'workers', size: 40 }, { label: 'speedup ×', size: 50 }],
      series: [
        {},
        { label: 'ideal', stroke: '#bbb', width: 1, dash: [5, 5], points: { show: false } },
        { label: fit ? `Amdahl p=${fit.p.toFixed(3)}` : 'Amdahl', stroke: '#333', width: 2, points: { show: false } },
        ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1, spanGaps: true, points: { show: true, size: 8 } })),
      ],
    };
    const u = new uPlot(opts, [x, ideal, amdahl, ...cols] as uPlot.AlignedData, el);
    onChart?.(u);
    return () => {
      onChart?.(null);
      u.destroy();
    };
  }, [series, fit, onChart]);
  return <div className="chart" ref={ref} data-testid="speedup-chart" />;
}
