/**
 * What a lane's state reads as. The engine has one state for a worker that has exited, 'stopped'
 * (its loop ended: run-pool.ts), whatever the reason. The run model tells the reasons apart from the
 * frames (`RunHeader.laneEnds`: a worker that exited while the pool's active workers fell was let go,
 * any other ran out of work), so a mail lane whose folders are done reads "done", not "stopped"
 * (which reads like a crash) while the others still fetch.
 */
import type { WorkerSnapshot } from '../../../shared/events';
import type { RunHeader } from '../stores/run-model';

export type LaneLabel = Exclude<WorkerSnapshot['state'], 'stopped'> | 'done' | 'retired' | 'stopped';

/** Why each label: the lane's tooltip. */
export const LANE_END_TITLES = {
  done: 'This worker ran out of work and exited; the others may still be busy.',
  retired: 'The pool let this worker go: the server refused its connection, or --workers auto lowered the count.',
  stopped: 'This worker exited: the job was cancelled or stopped, or it ended before this page saw it.',
} as const;

/**
 * What each state means (the lane's and the legend's tooltip); the waits above all say what the
 * lane waits for. A Record: a new state gets its words or the build fails.
 */
export const LANE_STATE_TITLES: Record<LaneLabel, string> = {
  connecting: 'Opening its connection to the server (connect, TLS, login), or starting an item on it.',
  listing: "FTP: listing the book's folder. HTTP: its requests are out, waiting for the server's first answer.",
  downloading: 'Receiving the item\'s bytes.',
  'waiting to clean': 'Its book is downloaded and waits for room in the scrub stage: cleaning is the bottleneck, not this connection (not a straggler).',
  cleaning: 'Handing its book to the scrub stage (cleaning runs on the scrub threads, not on this lane).',
  writing: "Its messages are received and their writes wait for room in the job's writes in flight: the disk is the bottleneck, not this connection (not a straggler).",
  idle: 'Waiting for an item (white space on the timeline).',
  paused: 'The job is paused.',
  retrying: 'Backing off before trying the item again (the try before failed or the server refused the connection).',
  waiting: 'Holding back for the server: its Retry-After, the wait between requests (--wait), or the grace while the mirror serves nothing.',
  failed: 'Its last item failed (listed under Errors).',
  ...LANE_END_TITLES,
};

export function laneStateLabel(w: Pick<WorkerSnapshot, 'id' | 'state'>, h: Pick<RunHeader, 'laneEnds' | 'summary' | 'failures'>): LaneLabel {
  if (w.state !== 'stopped') return w.state;
  // A cancel or a job-level error (a full disk, a wrong password) ends every lane: that is a stop.
  if (h.summary?.status === 'cancelled' || h.failures.some((f) => f.item === '(job)') || h.summary?.failures.some((f) => f.item === '(job)')) return 'stopped';
  return h.laneEnds[w.id] ?? 'stopped';
}
