import { useEffect, useRef } from 'react';
import type { WorkerState } from '../../../shared/events';
import { runBuffers, useRunStore } from '../stores/run-store';
import { STATE_COLORS } from './colors';

const LANE_H = 14;
const GAP = 3;
const LEFT = 36;

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
      const paths = new Map<string, Path2D>();
      const rect = (state: WorkerState, worker: number, start: number, end: number) => {
        const color = STATE_COLORS[state];
        if (!color) return;
        let p = paths.get(color);
        if (!p) paths.set(color, (p = new Path2D()));
        const x0 = x(start);
        const w = Math.max(1, x(end) - x0);
        p.rect(x0, worker * (LANE_H + GAP), w, LANE_H);
      };
      for (const s of runBuffers.spans) rect(s.state, s.worker, s.start, s.end);
      for (const [worker, open] of runBuffers.open) rect(open.state, worker, open.start, runBuffers.now);
      for (const [color, p] of paths) {
        ctx.fillStyle = color;
        ctx.fill(p);
      }
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
    const unsub = useRunStore.subscribe((s, prev) => {
      if (s.version !== prev.version) draw();
    });
    const ro = new ResizeObserver(draw);
    ro.observe(canvas);
    return () => {
      unsub();
      ro.disconnect();
    };
  }, []);
  return <canvas className="gantt" ref={ref} data-testid="gantt" />;
}
