import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { QueueRow } from '../../../shared/lab/queue-analysis';

const boundName = (b: number | null) => (b === null ? '∞' : String(b));

/**
 * The queue lab per bound (x: the bounds measured, in order, unbounded last): throughput in books/s
 * (left axis), the time downloaders waited for room, s, and the peak memory, MB (right axes).
 */
export function QueueChart({ rows }: { rows: QueueRow[] }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || rows.length === 0) return;
    const x = rows.map((_r, i) => i);
    const opts: uPlot.Options = {
      width: el.clientWidth || 640,
      height: 300,
      scales: { x: { time: false, range: [-0.5, rows.length - 0.5] }, y: { auto: true, range: (_u, _min, max) => [0, max * 1.1 || 1] }, wait: { auto: true, range: (_u, _min, max) => [0, max * 1.1 || 1] }, mb: { auto: true, range: (_u, _min, max) => [0, max * 1.1 || 1] } },
      axes: [
        { label: 'queue bound (books)', size: 40, splits: () => x, values: (_u, t) => t.map((i) => (Number.isInteger(i) && rows[i] ? boundName(rows[i].bound) : '')) },
        { label: 'books/s', size: 50 },
        { scale: 'wait', side: 1, label: 'downloaders waited, s', size: 60, grid: { show: false } },
        { scale: 'mb', side: 1, label: 'peak RSS, MB', size: 60, grid: { show: false } },
      ],
      series: [
        {},
        { label: 'books/s', stroke: '#2f80ed', width: 2, points: { show: true, size: 8 } },
        { label: 'waited, s', scale: 'wait', stroke: '#eb5757', width: 1, dash: [4, 3], points: { show: true, size: 7 } },
        { label: 'peak RSS, MB', scale: 'mb', stroke: '#9b51e0', width: 1, dash: [2, 4], points: { show: true, size: 6 } },
      ],
    };
    const data = [x, rows.map((r) => r.booksPerSecond), rows.map((r) => r.blockedMs / 1000), rows.map((r) => r.peakRssBytes / 2 ** 20)];
    const u = new uPlot(opts, data as uPlot.AlignedData, el);
    el.dataset.points = JSON.stringify(rows.map((r) => ({ bound: r.bound, booksPerSecond: r.booksPerSecond, blockedMs: r.blockedMs, peakRssBytes: r.peakRssBytes })));
    return () => u.destroy();
  }, [rows]);
  return <div className="chart" ref={ref} data-testid="queue-chart" />;
}
