import { useMemo, useRef } from 'react';
import type { LabTimeline } from '../../../shared/ipc';
import { useCanvasPanel, type CanvasPainter } from './canvas-panel';
import { lanesHeight, paintLanes } from './lane-painter';

/**
 * One lab cell's connection lanes over its run (the live view's lanes and colours: set-up in
 * violet, transfers in blue, idle as white space), drawn once per timeline and on resize.
 * Timelines shown together share `tEnd`, so their widths compare.
 */
export function LabTimelineCanvas({ timeline, tEnd }: { timeline: LabTimeline; /** The time axis's end, ms (shared by timelines compared side by side). */ tEnd: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const lanes = Math.max(timeline.workers, ...timeline.spans.map((s) => s.worker + 1), 1);
  const painter = useMemo<CanvasPainter>(() => ({
    height: () => lanesHeight(lanes),
    draw(ctx, w, h, canvas) {
      canvas.dataset.rects = String(paintLanes(ctx, w, h, { lanes, tEnd, spans: timeline.spans, laneLabel: (l) => `c${l}` }));
    },
  }), [timeline, lanes, tEnd]);
  useCanvasPanel(ref, painter, 1000);
  return <canvas className="gantt" ref={ref} data-testid={`lab-timeline-${timeline.role}`} data-spans={timeline.spans.length} data-lanes={lanes} />;
}
