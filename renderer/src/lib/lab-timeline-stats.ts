import type { LabTimeline } from '../../../shared/ipc';

/** What a cell's timeline shows, in numbers: time spent connecting and the tail where lanes sat idle. */
export interface TimelineStats {
  /** `connecting` spans: a lane opening its connection or selecting a folder on it. */
  connects: number;
  /** Time spent connecting, summed over lanes, ms. */
  connectMs: number;
  /** Lanes that did anything. */
  lanesUsed: number;
  /** When the first and the last lane ended its last busy span, ms since start. */
  firstLaneDoneMs: number;
  lastLaneDoneMs: number;
}

const BUSY_IDLE = new Set(['idle', 'stopped', 'paused']);

export function timelineStats(t: LabTimeline): TimelineStats {
  const ends = new Map<number, number>();
  let connects = 0;
  let connectMs = 0;
  for (const s of t.spans) {
    if (s.state === 'connecting') {
      connects++;
      connectMs += s.end - s.start;
    }
    if (!BUSY_IDLE.has(s.state)) ends.set(s.worker, Math.max(ends.get(s.worker) ?? 0, s.end));
  }
  const done = [...ends.values()];
  return { connects, connectMs, lanesUsed: done.length, firstLaneDoneMs: done.length ? Math.min(...done) : 0, lastLaneDoneMs: done.length ? Math.max(...done) : 0 };
}

const s2 = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The stats as a sentence under the timeline. */
export function describeTimeline(t: LabTimeline): string {
  const st = timelineStats(t);
  // A lane is `connecting` while it opens its connection or selects the next folder on it (mail-worker.ts).
  const head = `${t.strategy} with ${t.workers} connection${t.workers === 1 ? '' : 's'}, ${s2(t.wallMs)}: connecting ${st.connects} time${st.connects === 1 ? '' : 's'} (opening a connection or selecting a folder; ${s2(st.connectMs)} summed over lanes)`;
  const tail = st.lanesUsed > 1 ? `; the first lane finished at ${s2(st.firstLaneDoneMs)}, the last at ${s2(st.lastLaneDoneMs)} (a tail of ${s2(st.lastLaneDoneMs - st.firstLaneDoneMs)})` : '';
  const cut = t.droppedSpans > 0 ? ` (${t.droppedSpans} later spans not kept)` : '';
  return `${head}${tail}.${cut}`;
}
