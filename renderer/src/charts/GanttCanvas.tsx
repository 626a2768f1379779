import { useRef } from 'react';
import { runBuffers, useRunStore } from '../stores/run-store';
import { useCanvasPanel, type CanvasPainter } from './canvas-panel';
import { lanesHeight, paintLanes } from './lane-painter';
import { timeAxisBox } from './time-axis';

/** The timeline is a long-timescale view: redrawn at most this often (the throughput chart follows every frame). */
const MIN_REDRAW_MS = 250;

const laneCount = () => Math.max(useRunStore.getState().workerCount, 1);

const ganttPainter: CanvasPainter = {
  height: () => lanesHeight(laneCount()),
  draw(ctx, cssW, cssH, canvas) {
    const t0 = performance.now();
    const unseenBeforeMs = useRunStore.getState().seenFromMs;
    // The throughput chart's plot box: both start at 0 s and end at the last frame, one above the other.
    const box = timeAxisBox() ?? undefined;
    const rects = paintLanes(ctx, cssW, cssH, { lanes: laneCount(), tEnd: runBuffers.now, spans: runBuffers.spans, open: runBuffers.open, unseenBeforeMs, ...(box ? { box } : {}) });
    canvas.dataset.plotLeft = box ? String(box.left) : '';
    canvas.dataset.plotRight = box ? String(box.right) : '';
    canvas.dataset.endMs = String(Math.round(runBuffers.now));
    canvas.dataset.rects = String(rects);
    canvas.dataset.unseenMs = String(Math.round(unseenBeforeMs));
    canvas.dataset.firstMs = runBuffers.spans.length > 0 ? String(Math.round(Math.min(...runBuffers.spans.slice(0, 64).map((s) => s.start)))) : '';
    canvas.dataset.drawMs = (performance.now() - t0).toFixed(1);
    canvas.dataset.spans = String(runBuffers.spans.length);
  },
};

/**
 * The worker timeline: one lane per worker, one rectangle per closed span, coloured by state;
 * idle is white space. Drawn on one DPR-aware canvas (`useCanvasPanel`), redrawn when the store's
 * `version` changed, at most every MIN_REDRAW_MS. Spans narrower than a pixel are widened to one
 * pixel (a density mark), so 20k spans stay cheap.
 */
export function GanttCanvas() {
  const ref = useRef<HTMLCanvasElement>(null);
  useCanvasPanel(ref, ganttPainter, MIN_REDRAW_MS);
  return <canvas className="gantt" ref={ref} data-testid="gantt" />;
}
