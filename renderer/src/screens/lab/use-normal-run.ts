import { useMemo } from 'react';
import { useAppStore } from '../../stores/app-store';
import { useRunStore } from '../../stores/run-store';
import type { NormalRun } from '../../lib/lab-results';

/** The current (or else the last) normal Gutenberg run: workers, bytes and wall time, to place on the lab's curves. */
export function useNormalRun(): NormalRun | null {
  // One string, so the selector's result is stable between renders (no new object per call).
  // While a run goes on, the point moves every 2 s (the chart is rebuilt on each move).
  const liveKey = useRunStore((s) => (s.kind === 'gutenberg' && !s.replay && s.jobId ? `${s.jobId}|${Math.floor(s.elapsedMs / 2000)}|${s.status}|${s.rateCap}` : ''));
  const history = useAppStore((s) => s.history);
  // Not one a job-level error stopped early (a full disk, an unreachable mirror): its few seconds are no run of its worker count.
  const last = history.find((h) => h.summary.kind === 'gutenberg' && h.summary.status !== 'cancelled' && h.summary.bytes > 0 && !h.summary.failures.some((f) => f.item === '(job)'));
  const lastKey = last ? last.summary.jobId : '';
  return useMemo(() => {
    if (liveKey) {
      const r = useRunStore.getState();
      const workers = r.summary?.workers ?? r.workerCount;
      // Its cap as its frames last said (the history keeps none: a run from there is placed as it is).
      return { workers, bytes: r.bytesDone, wallMs: r.elapsedMs, label: r.status === 'finished' ? `last run (${workers} workers)` : `this run (${workers} workers)`, rateCap: r.rateCap, ...(r.source ? { mirror: r.source } : {}) };
    }
    if (last) {
      const mirror = last.summary.mirror || undefined;
      return { workers: last.summary.workers, bytes: last.summary.bytes, wallMs: last.summary.wallMs, label: `last run (${last.summary.workers} workers)`, ...(mirror ? { mirror } : {}) };
    }
    return null;
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on the values, not the objects
  }, [liveKey, lastKey]);
}
