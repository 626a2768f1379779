import { useMemo } from 'react';
import { useAppStore } from '../../stores/app-store';
import { useRunStore } from '../../stores/run-store';

/** The current (or else the last) normal Gutenberg run: workers, bytes and wall time, to place on the lab's curves. */
export function useNormalRun(): { workers: number; bytes: number; wallMs: number; label: string } | null {
  // One string, so the selector's result is stable between renders (no new object per call).
  // While a run goes on, the point moves every 2 s (the chart is rebuilt on each move).
  const liveKey = useRunStore((s) => (s.kind === 'gutenberg' && !s.replay && s.jobId ? `${s.jobId}|${Math.floor(s.elapsedMs / 2000)}|${s.status}` : ''));
  const history = useAppStore((s) => s.history);
  const last = history.find((h) => h.summary.kind === 'gutenberg' && h.summary.status !== 'cancelled' && h.summary.bytes > 0);
  const lastKey = last ? last.summary.jobId : '';
  return useMemo(() => {
    if (liveKey) {
      const r = useRunStore.getState();
      const workers = r.summary?.workers ?? r.workerCount;
      return { workers, bytes: r.bytesDone, wallMs: r.elapsedMs, label: r.status === 'finished' ? `last run (${workers} workers)` : `this run (${workers} workers)` };
    }
    if (last) return { workers: last.summary.workers, bytes: last.summary.bytes, wallMs: last.summary.wallMs, label: `last run (${last.summary.workers} workers)` };
    return null;
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on the values, not the objects
  }, [liveKey, lastKey]);
}
