import type { LabTimeline } from '../../../../shared/ipc';
import { LabTimelineCanvas } from '../../charts/LabTimelineCanvas';
import { STATE_COLORS } from '../../charts/colors';
import { describeTimeline } from '../../lib/lab-timeline-stats';

const LEGEND = ['connecting', 'listing', 'downloading', 'writing', 'retrying', 'waiting', 'failed'] as const;

/**
 * The fastest and the slowest cell's connection lanes, each on its own time axis, with the number
 * of times a lane was connecting and the tail: why the winner wins (reused connections, no straggling lane).
 */
export function LabTimelines({ timelines }: { timelines: LabTimeline[] }) {
  // One time axis for both: the slower cell's lanes run longer.
  const tEnd = Math.max(1, ...timelines.map((t) => Math.max(t.wallMs, ...t.spans.map((s) => s.end))));
  return (
    <div className="lab-timelines" data-testid="lab-timelines">
      <h3>Connections over time</h3>
      <p className="legend muted">
        {LEGEND.map((s) => <span key={s}><span className="swatch" style={{ background: STATE_COLORS[s] ?? 'transparent' }} /> {s} </span>)}
        <span>· idle is white space</span>
      </p>
      {timelines.map((t) => (
        <figure key={t.role} data-testid={`lab-timeline-${t.role}-figure`}>
          <figcaption data-testid={`lab-timeline-${t.role}-caption`}><b>{t.role === 'fastest' ? 'Fastest' : 'Slowest'}:</b> {describeTimeline(t)}</figcaption>
          <LabTimelineCanvas timeline={t} tEnd={tEnd} />
        </figure>
      ))}
    </div>
  );
}
