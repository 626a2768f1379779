/**
 * What `fanout serve` says in its terminal of the work it runs: a job or lab starting and ending.
 * The browser page is only a view (closing it stops nothing, and it does not ask): the terminal that
 * runs the host is where a person who closed the last tab still learns that a job ended, and how.
 */
import type { EventName, Events } from '../../shared/ipc';

/** The terminal's line for a host event, or null (frames, progress, catalog). */
export function activityLine<E extends EventName>(name: E, payload: Events[E]): string | null {
  if (name === 'job:event') {
    const e = payload as Events['job:event'];
    if (e.kind === 'job:started') return `job ${e.jobId} started: ${e.jobKind}, ${e.workers} worker(s), into ${e.outDir}`;
    if (e.kind === 'job:finished') {
      const s = e.summary;
      return `job ${e.jobId} ${s.status}: ${s.itemsDone} done, ${s.itemsSkipped} already complete, ${s.itemsFailed} failed (of ${s.itemsTotal})`;
    }
    return null;
  }
  if (name === 'lab:event') {
    const e = payload as Events['lab:event'];
    if (e.kind === 'lab:started') return `lab ${e.labId} started: ${e.lab}, ${e.cells} cell(s)`;
    if (e.kind === 'lab:finished') return `lab ${e.labId} ${e.status}: ${e.points.length} cell(s) measured${e.error ? ` (${e.error.code}: ${e.error.message})` : ''}`;
  }
  return null;
}
