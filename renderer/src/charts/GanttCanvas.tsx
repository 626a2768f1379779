import { useRef } from 'react';
import type { WorkerState } from '../../../shared/events';
import { runBuffers, useRunStore } from '../stores/run-store';
import { useCanvasPanel, type CanvasPainter } from './canvas-panel';
import { STATE_COLORS } from './colors';

const LANE_H = 14;
const GAP = 3;
const LEFT = 36;
/** The timeline is a long-timescale view: redrawn at most this often (the throughput chart follows every frame). */
const MIN_REDRAW_MS = 250;

const laneCount = () => Math.max(useRunStore.getState().workerCount, 1);

const ganttPainter: CanvasPainter = {
  height: () => laneCount() * (LANE_H + GAP) + 20,
  draw(ctx, cssW, cssH, canvas) {
    const workers = laneCount();
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
  },
};

/**
 * The worker timeline: one lane per worker, one rectangle per closed span, coloured by state;
 * idle is white space. Drawn on one DPR-aware canvas (`useCanvasPanel`), rectangles batched into
 * one Path2D per colour, redrawn when the store's `version` changed, at most every MIN_REDRAW_MS.
 * Spans narrower than a pixel are widened to one pixel (a density mark), so 20k spans stay cheap.
 */
export function GanttCanvas() {
  const ref = useRef<HTMLCanvasElement>(null);
  useCanvasPanel(ref, ganttPainter, MIN_REDRAW_MS);
  return <canvas className="gantt" ref={ref} data-testid="gantt" />;
}
