import { useEffect, useRef } from 'react';
import type { WorkerState } from '../../../shared/events';
import { runBuffers, useRunStore } from '../stores/run-store';
import { STATE_COLORS } from './colors';
import { redrawOnRunChanges } from './throttled-redraw';

const LANE_H = 14;
const GAP = 3;
const LEFT = 36;
const MIN_REDRAW_MS = 250;

/**
 * The worker timeline: one lane per worker, one rectangle per closed span, coloured by state;
 * idle is white space. Drawn on one DPR-aware canvas, rectangles batched into one Path2D per
 * colour, redrawn only when the store's `version` changed (at most once per animation frame).
 * Spans narrower than a pixel are widened to one pixel (a density mark), so 20k spans stay cheap.
 */
export function GanttCanvas() {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const draw = () => {
      const workers = Math.max(useRunStore.getState().workerCount, 1);
      const dpr = window.devicePixelRatio || 1;
      const cssW = canvas.clientWidth || 600;
      const cssH = workers * (LANE_H + GAP) + 20;
      if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
        canvas.width = Math.round(cssW * dpr);
        canvas.height = Math.round(cssH * dpr);
        canvas.style.height = `${cssH}px`;
      }
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, cssW, cssH);
      const tEnd = Math.max(runBuffers.now, 1);
      const plotW = cssW - LEFT - 4;
      const x = (t: number) => LEFT + (t / tEnd) * plotW;
      const t0 = performance.now();
      // Level of detail: per (lane, colour), rectangles that touch or overlap on screen are merged
      // into one, so the number drawn is bounded by lanes × pixels, not by the number of spans.
      const paths = new Map<string, Path2D>();
      const runs = new Map<string, { color: string; lane: number; x0: number; x1: number }>();
      const flush = (r: { color: string; lane: number; x0: number; x1: number }) => {
        let p = paths.get(r.color);
        if (!p) paths.set(r.color, (p = new Path2D()));
        p.rect(r.x0, r.lane * (LANE_H + GAP), Math.max(1, r.x1 - r.x0), LANE_H);
      };
      let rects = 0;
      const rect = (state: WorkerState, worker: number, start: number, end: number) => {
        const color = STATE_COLORS[state];
        if (!color) return;
        const x0 = x(start);
        const x1 = Math.max(x(end), x0 + 1);
        const key = `${worker}|${color}`;
        const run = runs.get(key);
        if (run && x0 <= run.x1 + 1 && x1 >= run.x0 - 1) {
          run.x0 = Math.min(run.x0, x0);
          run.x1 = Math.max(run.x1, x1);
          return;
        }
        if (run) {
          flush(run);
          rects++;
        }
        runs.set(key, { color, lane: worker, x0, x1 });
      };
      for (const s of runBuffers.spans) rect(s.state, s.worker, s.start, s.end);
      for (const [worker, open] of runBuffers.open) rect(open.state, worker, open.start, runBuffers.now);
      for (const r of runs.values()) {
        flush(r);
        rects++;
      }
      for (const [color, p] of paths) {
        ctx.fillStyle = color;
        ctx.fill(p);
      }
      canvas.dataset.rects = String(rects);
      canvas.dataset.drawMs = (performance.now() - t0).toFixed(1);
      ctx.fillStyle = '#666';
      ctx.font = '10px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      for (let w = 0; w < workers; w++) ctx.fillText(`w${w}`, 4, w * (LANE_H + GAP) + LANE_H / 2);
      ctx.textBaseline = 'bottom';
      ctx.fillText('0 s', LEFT, cssH - 2);
      const endLabel = `${(tEnd / 1000).toFixed(1)} s`;
      ctx.fillText(endLabel, cssW - ctx.measureText(endLabel).width - 4, cssH - 2);
      canvas.dataset.spans = String(runBuffers.spans.length);
    };
    draw();
    // The timeline is a long-timescale view: redraw at most every MIN_REDRAW_MS (with a trailing
    // draw, so the final state always shows), while the throughput chart follows every frame.
    return redrawOnRunChanges(canvas, draw, MIN_REDRAW_MS);
  }, []);
  return <canvas className="gantt" ref={ref} data-testid="gantt" />;
}
