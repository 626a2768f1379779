/**
 * The jobs the host runs now, whoever started them: this page, the page before a reload, another
 * tab of `fanout serve`. The live view follows one job; this store knows the others, so none runs
 * unseen (no Pause, no Cancel) and no second job is started over one that runs.
 */
import { create } from 'zustand';
import type { JobEvent } from '../../../shared/events';
import type { ActiveJob } from '../../../shared/ipc';
import { getApi } from '../api/api';
import { setScreen } from './app-store';
import { attachRun, backfillRun, enqueueJobEvent, markRunLost, useRunStore } from './run-store';

export const useActiveJobs = create<{ ids: string[] }>(() => ({ ids: [] }));

/** Keeps the list current from the job events every page receives. */
export function noteJobEvent(e: JobEvent): void {
  if (e.kind === 'job:started') useActiveJobs.setState((s) => (s.ids.includes(e.jobId) ? s : { ids: [...s.ids, e.jobId] }));
  else if (e.kind === 'job:finished') useActiveJobs.setState((s) => ({ ids: s.ids.filter((id) => id !== e.jobId) }));
}

/** Whether the live view follows a job that has not ended (not a replay, not finished). */
function followingLive(): boolean {
  const s = useRunStore.getState();
  return s.jobId !== null && !s.replay && s.status !== 'finished';
}

/**
 * Asks the host what runs (page load, reconnect). A followed job the host no longer runs ended
 * while the page was away: its summary comes from the history, or, when the host does not know it
 * (restarted), the view says so. With `follow`, or when the view shows no live job and no replay,
 * the live view takes up a running job; `show` also switches to it.
 */
export async function syncActiveJobs(opts: { follow: boolean; show: boolean }): Promise<ActiveJob[]> {
  const active = await getApi().activeJobs({});
  useActiveJobs.setState({ ids: active.map((j) => j.jobId) });
  const s = useRunStore.getState();
  if (followingLive() && !active.some((j) => j.jobId === s.jobId)) {
    const jobId = s.jobId!;
    const entry = (await getApi().listHistory({})).find((h) => h.summary.jobId === jobId);
    if (entry) enqueueJobEvent({ kind: 'job:finished', jobId, summary: entry.summary });
    else markRunLost(jobId);
  }
  const now = useRunStore.getState();
  // The followed job (its frames may have come in first, without its kind): completed from the host.
  const same = now.replay ? undefined : active.find((j) => j.jobId === now.jobId);
  const idle = now.jobId === null || (!now.replay && now.status === 'finished');
  const job = same ?? (active[0] && !followingLive() && (opts.follow || idle) ? active[0] : undefined);
  if (job) {
    attachRun(job);
    if (opts.show) setScreen('live');
    // Taken up mid-way: the job's timeline and charts so far, from the host's recording of it.
    const s = useRunStore.getState();
    if (s.jobId === job.jobId && !s.replay && s.seenFromMs > 0) {
      void backfillRun(job.jobId, (from, count) => getApi().jobRecording({ jobId: job.jobId, from, count }), job.lastFrame ? [job.lastFrame] : []).catch(() => {});
    }
  }
  return active;
}

/** "Show the running job": the live view takes it up. */
export async function showRunningJob(): Promise<void> {
  await syncActiveJobs({ follow: true, show: true });
  setScreen('live');
}
