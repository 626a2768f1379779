import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { amdahlSpeedup, uslSpeedup, type AmdahlFit, type SpeedupRow, type UslFit } from '../../../shared/lab/speedup-fits';
import type { SeriesSpread } from '../lib/speedup-spread';
import { drawBars } from './spread-bars';

const COLORS = ['#2f80ed', '#27ae60', '#eb5757', '#9b51e0'];
const USL_COLOR = '#d35400';
const RUN_COLOR = '#111';

export interface SpeedupSeries {
  label: string;
  rows: SpeedupRow[];
}

/** A normal run placed on the curves (drawn as a hollow point). */
export interface RunPoint {
  workers: number;
  speedup: number;
  label: string;
}

const noLine = () => null;

const NO_SPREAD: SeriesSpread[] = [];

/** The fixed series before the measured ones (ideal, Amdahl, 1/f, USL, N*, the run). */
const FIXED_SERIES = 7;

/**
 * Speedup against workers (log2 x axis): the ideal line y = n, each strategy's measured points,
 * the fitted Amdahl curve of the best strategy with its 1/f ceiling (dashed), the USL curve with a
 * marker at its peak N*, the current/last normal run as a hollow point, and each point's spread over
 * the cell's repeats as a bar (`spread`, speedup-spread.ts). `onChart` hands out the uPlot instance
 * for the PNG export.
 */
export function SpeedupChart({ series, fit, usl, run, spread = NO_SPREAD, onChart, testId = 'speedup-chart' }: { series: SpeedupSeries[]; fit: AmdahlFit | null; usl: UslFit | null; run: RunPoint | null; spread?: SeriesSpread[]; onChart?: (u: uPlot | null) => void; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || series.length === 0) return;
    const measured = new Set(series.flatMap((s) => s.rows.map((r) => r.workers)));
    let maxN = Math.max(2, ...measured, run?.workers ?? 0);
    // Show the USL peak when it is near the measured range (within 4×, at most 64 workers).
    const peak = usl && Number.isFinite(usl.peak) && usl.peak >= 1 ? usl.peak : null;
    if (peak !== null && peak > maxN && peak <= Math.min(64, 4 * maxN)) maxN = Math.ceil(peak * 1.25);
    const xs = new Set<number>(measured);
    for (let n = 1; n <= maxN; n *= 1.1) xs.add(Number(n.toFixed(3)));
    xs.add(maxN);
    if (run) xs.add(run.workers);
    const peakX = peak !== null && peak <= maxN ? Number(peak.toFixed(3)) : null;
    if (peakX !== null) xs.add(peakX);
    const x = [...xs].sort((a, b) => a - b);
    // y: the data, the USL peak, and the ideal line up to twice the best measured speedup (past that it is clipped).
    const best = Math.max(0, ...series.flatMap((s) => s.rows.map((r) => r.speedup)));
    const top = Math.max(0, ...spread.flatMap((s) => s.bars.map((b) => b.hi)));
    const ymax = Math.max(2, best, top, run?.speedup ?? 0, peakX !== null && usl ? usl.peakSpeedup : 0, Math.min(maxN, 2 * best)) * 1.08;
    const ceiling = fit && Number.isFinite(fit.ceiling) && fit.ceiling < ymax ? fit.ceiling : null;
    const cols: Array<Array<number | null>> = [
      x,
      x.map((n) => n),
      x.map((n) => (fit ? amdahlSpeedup(n, fit.f) : null)),
      x.map(() => ceiling),
      x.map((n) => (usl ? uslSpeedup(n, usl.sigma, usl.kappa) : null)),
      x.map((n) => (usl && n === peakX ? uslSpeedup(n, usl.sigma, usl.kappa) : null)),
      x.map((n) => (run && n === run.workers ? run.speedup : null)),
      ...series.map((s) => x.map((n) => s.rows.find((r) => r.workers === n)?.speedup ?? null)),
    ];
    const opts: uPlot.Options = {
      width: el.clientWidth || 640,
      height: 340,
      legend: { live: false }, // names only: the values under the cursor read '--' beside every curve
      scales: { x: { time: false, distr: 3, log: 2 }, y: { auto: false, range: [0, ymax] } },
      axes: [{ label: 'workers', size: 40 }, { label: 'speedup ×', size: 50 }],
      hooks: { draw: [(u) => drawBars(u, spread.map((s) => s.bars), FIXED_SERIES, COLORS)] },
      series: [
        {},
        { label: 'ideal', stroke: '#bbb', width: 1, dash: [5, 5], points: { show: false } },
        { label: fit ? `Amdahl p=${fit.p.toFixed(3)}` : 'Amdahl', stroke: '#333', width: 2, points: { show: false } },
        { label: ceiling !== null ? `max ≈ 1/f = ${ceiling.toFixed(1)}×` : 'max ≈ 1/f', stroke: '#333', width: 1, dash: [2, 4], points: { show: false }, show: ceiling !== null },
        { label: usl ? `USL σ=${usl.sigma.toFixed(3)} κ=${usl.kappa.toFixed(4)}` : 'USL', stroke: USL_COLOR, width: 2, dash: [8, 3], points: { show: false } },
        { label: peakX !== null ? `N* ≈ ${peakX.toFixed(1)}` : 'N*', stroke: USL_COLOR, fill: USL_COLOR, paths: noLine, points: { show: true, size: 10, fill: USL_COLOR }, show: peakX !== null },
        { label: run ? run.label : 'this run', stroke: RUN_COLOR, width: 2, paths: noLine, points: { show: true, size: 12, width: 2, fill: '#fff', stroke: RUN_COLOR }, show: run !== null },
        ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1, spanGaps: true, points: { show: true, size: 8 } })),
      ],
    };
    const u = new uPlot(opts, cols as uPlot.AlignedData, el);
    el.dataset.usl = usl ? JSON.stringify({ sigma: usl.sigma, kappa: usl.kappa, peak: Number.isFinite(usl.peak) ? usl.peak : null }) : '';
    el.dataset.run = run ? JSON.stringify({ workers: run.workers, speedup: run.speedup }) : '';
    // The measured points drawn, per curve (what a reader or a test compares with the table).
    el.dataset.points = JSON.stringify(series.map((s) => ({ label: s.label, points: s.rows.map((r) => ({ workers: r.workers, speedup: r.speedup })) })));
    // The spread bars drawn, per curve.
    el.dataset.spread = JSON.stringify(spread);
    onChart?.(u);
    return () => {
      onChart?.(null);
      u.destroy();
    };
  }, [series, fit, usl, run, spread, onChart]);
  return <div className="chart" ref={ref} data-testid={testId} />;
}

/** Efficiency E(n) = S(n)/n and Karp–Flatt e(n) of one strategy (named in the legend: the speedup plot above has several), under the speedup plot. */
export function EfficiencyChart({ rows, series }: { rows: SpeedupRow[]; series: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || rows.length === 0) return;
    const x = rows.map((r) => r.workers);
    const opts: uPlot.Options = {
      width: el.clientWidth || 640,
      height: 170,
      legend: { live: false },
      scales: { x: { time: false, distr: 3, log: 2 }, y: { auto: false, range: [0, Math.max(1.05, ...rows.map((r) => r.efficiency * 1.05))] }, kf: { auto: true } },
      axes: [
        { label: 'workers', size: 36 },
        { label: 'efficiency', size: 50, values: (_u, t) => t.map((v) => `${Math.round(v * 100)}%`) },
        { scale: 'kf', side: 1, label: 'Karp–Flatt e(n)', size: 60, grid: { show: false }, values: (_u, t) => t.map((v) => v.toFixed(2)) },
      ],
      series: [
        {},
        { label: `E(n) = S/n (${series})`, stroke: '#2f80ed', width: 2, points: { show: true, size: 7 } },
        { label: `e(n) Karp–Flatt (${series})`, scale: 'kf', stroke: '#9b51e0', width: 2, dash: [4, 3], spanGaps: true, points: { show: true, size: 7 } },
      ],
    };
    const u = new uPlot(opts, [x, rows.map((r) => r.efficiency), rows.map((r) => (Number.isFinite(r.karpFlatt) ? r.karpFlatt : null))] as uPlot.AlignedData, el);
    return () => u.destroy();
  }, [rows, series]);
  return <div className="chart" ref={ref} data-testid="efficiency-chart" />;
}
