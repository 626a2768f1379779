/**
 * The mail lab's timelines: each cell's connection lanes over time, taken from the spans its job's
 * telemetry frames already carry (the live view's data), so the UI can show why the fastest cell
 * won and the slowest lost (a connection set up per item vs reused ones, stragglers at the tail).
 */
import type { JobEvent, TimelineSpan } from '../../../shared/events';
import type { LabPoint, LabTimeline } from '../../../shared/ipc';
import type { LabCell } from '../lab/measure-cells';

/** Spans kept per cell at most (the earliest; the rest are counted): two cells travel in one event. */
export const MAX_TIMELINE_SPANS = 4000;

const keyOf = (c: Pick<LabCell, 'strategy' | 'workers' | 'scrubExecutor'>) => `${c.strategy}|${c.workers}|${c.scrubExecutor}`;

export class LabTimelines {
  /** Per cell, the spans of its latest repeat. */
  readonly #cells = new Map<string, { repeat: number; spans: TimelineSpan[]; dropped: number }>();

  /** Feed every run's events (measureCells' `onRunEvent`). */
  onRunEvent = (cell: LabCell, repeat: number, e: JobEvent): void => {
    if (e.kind !== 'job:frame' || e.frame.spans.length === 0) return;
    const key = keyOf(cell);
    let c = this.#cells.get(key);
    if (!c || c.repeat !== repeat) this.#cells.set(key, (c = { repeat, spans: [], dropped: 0 }));
    const room = MAX_TIMELINE_SPANS - c.spans.length;
    c.spans.push(...e.frame.spans.slice(0, Math.max(0, room)));
    c.dropped += Math.max(0, e.frame.spans.length - Math.max(0, room));
  };

  /**
   * The fastest and the slowest measured cell's timelines (one when the grid had one cell, none
   * when no cell was measured). A cell is compared by its median time, the number the table shows.
   */
  pick(points: readonly LabPoint[]): LabTimeline[] {
    const measured = points.filter((p) => p.medianMs > 0 && this.#cells.has(keyOf(p)));
    if (measured.length === 0) return [];
    const fastest = measured.reduce((a, p) => (p.medianMs < a.medianMs ? p : a));
    const slowest = measured.reduce((a, p) => (p.medianMs > a.medianMs ? p : a));
    const one = (role: LabTimeline['role'], p: LabPoint): LabTimeline => {
      const c = this.#cells.get(keyOf(p))!;
      const wallMs = p.wallMs[c.repeat] ?? p.medianMs;
      return { role, strategy: p.strategy, workers: p.workers, wallMs, spans: c.spans, droppedSpans: c.dropped };
    };
    return fastest === slowest ? [one('fastest', fastest)] : [one('fastest', fastest), one('slowest', slowest)];
  }
}
