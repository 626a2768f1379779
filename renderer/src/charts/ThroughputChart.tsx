import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatBytes } from '../lib/format';
import { BYTE_AXIS_INCRS } from './byte-axis';
import { withGaps } from './series-gaps';
import { runBuffers, useRunStore } from '../stores/run-store';
import { setTimeAxisBox } from './time-axis';

/**
 * Throughput over time (downloads and scrubbing apart, items/s on a second axis, the job's
 * bandwidth cap as a dashed line while one is set). Fed outside
 * React renders: it subscribes to the run store's `version` and calls `setData` (the store applies
 * frames once per animation frame, so this runs at most once per frame).
 */
function publishBox(u: uPlot): void {
  const left = u.bbox.left / uPlot.pxRatio;
  const right = u.width - (u.bbox.left + u.bbox.width) / uPlot.pxRatio;
  if (u.width > 0) setTimeAxisBox({ left: Math.round(left * 10) / 10, right: Math.round(right * 10) / 10 });
  const el = u.root.parentElement;
  const x = u.scales.x;
  if (el && x) el.dataset.xRange = `${x.min ?? ''},${x.max ?? ''}`;
}

export function ThroughputChart() {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: 600, // the element's width once built (below)
      height: 200,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      // From 0 to the last frame, as the worker timeline below (one time axis): it began at its first sample.
      scales: { x: { time: false, range: () => [0, Math.max(runBuffers.now / 1000, 0.001)] }, items: { auto: true } },
      hooks: {
        // Where the plot sits in the element, for the timeline to draw its lanes in the same margins.
        setSize: [(u) => publishBox(u)],
        draw: [(u) => publishBox(u)],
      },
      axes: [
        { label: 's', size: 30 },
        { values: (_u, ticks) => ticks.map((v) => `${formatBytes(v)}/s`), size: 90, incrs: BYTE_AXIS_INCRS },
        { scale: 'items', side: 1, values: (_u, ticks) => ticks.map((v) => `${v.toFixed(1)}/s`), grid: { show: false }, size: 50 },
      ],
      series: [
        {},
        { label: 'download B/s', stroke: '#2f80ed', fill: 'rgba(47,128,237,0.12)', width: 1.5 },
        { label: 'clean B/s', stroke: '#27ae60', width: 1.5 },
        { label: 'items/s', stroke: '#eb5757', scale: 'items', width: 1, dash: [4, 3] },
        { label: 'cap B/s', stroke: '#f2994a', width: 1.5, dash: [8, 4] },
      ],
    };
    // Where no frame came for a while the lines break (series-gaps.ts), rather than draw a change nobody measured.
    const data = (): uPlot.AlignedData => {
      const s = runBuffers.series;
      const [t, cols] = withGaps(s.t, [s.bytesPerSec, s.cleanBytesPerSec, s.itemsPerSec, s.rateCap]);
      return [t, ...cols] as uPlot.AlignedData;
    };
    // Built empty in a task of its own after the mount, then given its data in the next one: the
    // live view's first layout, the chart's construction and a whole recording's first draw in
    // one task were one long task (History → Open).
    let chart: uPlot | null = null;
    let filling: ReturnType<typeof setTimeout> | undefined;
    const building = setTimeout(() => {
      chart = new uPlot({ ...opts, width: el.clientWidth || 600 }, [[], [], [], [], []], el);
      filling = setTimeout(() => {
        chart!.setData(data());
        el.dataset.points = String(runBuffers.series.t.length);
      }, 0);
    }, 0);
    const unsub = useRunStore.subscribe((s, prev) => {
      if (s.version === prev.version || !chart) return;
      chart.setData(data());
      el.dataset.points = String(runBuffers.series.t.length);
    });
    const ro = new ResizeObserver(() => {
      const width = el.clientWidth || 600;
      if (chart && chart.width !== width) chart.setSize({ width, height: 200 });
    });
    ro.observe(el);
    return () => {
      clearTimeout(building);
      clearTimeout(filling);
      unsub();
      ro.disconnect();
      chart?.destroy();
      setTimeAxisBox(null);
    };
  }, []);
  return <div className="chart" ref={ref} data-testid="throughput-chart" />;
}
