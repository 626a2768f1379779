import { memo, useState } from 'react';
import type { WorkerSnapshot } from '../../../shared/events';
import { getApi } from '../api/api';
import { GanttCanvas } from '../charts/GanttCanvas';
import { STATE_COLORS } from '../charts/colors';
import { ThroughputChart } from '../charts/ThroughputChart';
import { formatBytes, formatDuration } from '../lib/format';
import { describeError, setError, useAppStore } from '../stores/app-store';
import { useRunStore } from '../stores/run-store';
import { useShallow } from 'zustand/react/shallow';

const Lane = memo(function Lane({ w }: { w: WorkerSnapshot }) {
  const pct = w.itemTotal ? Math.min(100, (100 * w.itemBytes) / w.itemTotal) : w.state === 'idle' || w.state === 'stopped' || w.item === null ? 0 : null;
  return (
    <div className="lane" data-testid={`lane-${w.id}`} data-state={w.state}>
      <span className="lane-id">w{w.id}</span>
      <span className="lane-state" style={{ borderColor: STATE_COLORS[w.state] ?? '#ddd' }}>{w.state}</span>
      <span className="lane-item" title={w.item ?? ''}>{w.item ?? '—'}</span>
      <span className="lane-bar">
        <span className={pct === null ? 'indeterminate' : ''} style={{ width: pct === null ? '100%' : `${pct}%` }} />
      </span>
      <span className="lane-num" data-testid={`lane-${w.id}-items`}>{w.itemsDone} items</span>
      <span className="lane-num">{formatBytes(w.bytesDone)}</span>
      <span className="lane-num">{w.retries} retries</span>
      {w.itemsFailed > 0 && <span className="lane-num error">{w.itemsFailed} failed</span>}
    </div>
  );
});

function Header() {
  const h = useRunStore(
    useShallow((s) => ({
      status: s.status, replay: s.replay, itemsTotal: s.itemsTotal, itemsDone: s.itemsDone, itemsFailed: s.itemsFailed,
      itemsSkipped: s.itemsSkipped, bytesDone: s.bytesDone, bytesPerSec: s.bytesPerSec, elapsedMs: s.elapsedMs, etaMs: s.etaMs,
      retries: s.retries, activeWorkers: s.activeWorkers, workerCount: s.workerCount, strategy: s.strategy, summary: s.summary,
    })),
  );
  const finished = h.itemsDone + h.itemsFailed + h.itemsSkipped;
  const pct = h.itemsTotal ? (100 * finished) / h.itemsTotal : 0;
  return (
    <div className="run-header" data-testid="run-header">
      <div className="big" data-testid="run-progress">{finished.toLocaleString()} / {h.itemsTotal?.toLocaleString() ?? '?'}</div>
      <div className="progress"><span style={{ width: `${pct}%` }} /></div>
      <dl>
        <dt>Status</dt><dd data-testid="run-status">{h.replay ? `replay (${h.summary?.status ?? 'unknown'})` : h.status === 'finished' ? h.summary?.status ?? 'finished' : h.status}</dd>
        <dt>Elapsed</dt><dd data-testid="run-elapsed">{formatDuration(h.elapsedMs)}</dd>
        <dt>ETA</dt><dd>{h.status === 'finished' ? '—' : formatDuration(h.etaMs)}</dd>
        <dt>Throughput</dt><dd>{formatBytes(h.bytesPerSec)}/s</dd>
        <dt>Bytes</dt><dd data-testid="run-bytes">{formatBytes(h.bytesDone)}</dd>
        <dt>Errors</dt><dd data-testid="run-errors" className={h.itemsFailed ? 'error' : ''}>{h.itemsFailed}</dd>
        <dt>Skipped</dt><dd>{h.itemsSkipped}</dd>
        <dt>Retries</dt><dd>{h.retries}</dd>
        <dt>Workers</dt><dd>{h.activeWorkers}/{h.workerCount} · {h.strategy ?? ''}</dd>
      </dl>
    </div>
  );
}

function Controls() {
  const { jobId, status, replay, outDir } = useRunStore(useShallow((s) => ({ jobId: s.jobId, status: s.status, replay: s.replay, outDir: s.outDir })));
  const canOpen = useAppStore((s) => s.info?.host === 'electron');
  const [busy, setBusy] = useState(false);
  if (!jobId) return null;
  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    try {
      await fn();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const api = getApi();
  const live = !replay && status !== 'finished';
  return (
    <div className="controls">
      {live && status !== 'paused' && <button data-testid="pause" disabled={busy} onClick={() => void act(() => api.pauseJob({ jobId }))}>Pause</button>}
      {live && status === 'paused' && <button data-testid="resume" disabled={busy} onClick={() => void act(() => api.resumeJob({ jobId }))}>Resume</button>}
      {live && <button data-testid="cancel" className="danger" disabled={busy} onClick={() => void act(() => api.cancelJob({ jobId }))}>Cancel</button>}
      {status === 'finished' && outDir && canOpen && <button onClick={() => void act(() => api.openPath({ path: outDir }))}>Open output folder</button>}
      {status === 'finished' && outDir && !canOpen && <span className="muted">Output: <code data-testid="out-path">{outDir}</code></span>}
    </div>
  );
}

function Failures() {
  const failures = useRunStore((s) => s.failures);
  const warnings = useRunStore((s) => s.warnings);
  if (failures.length === 0 && warnings.length === 0) return null;
  return (
    <div className="failures" data-testid="failures">
      <h3>Problems</h3>
      <ul>
        {failures.map((f, i) => (
          <li key={`f${i}`} data-testid="failure">
            <b>{f.item}</b> — <code>{f.error.code}</code> {f.error.message}
          </li>
        ))}
        {warnings.map((w, i) => <li key={`w${i}`} className="muted">{w}</li>)}
      </ul>
    </div>
  );
}

export function LiveRun() {
  const jobId = useRunStore((s) => s.jobId);
  const workers = useRunStore((s) => s.workers);
  if (!jobId) return <section className="screen" data-testid="screen-live"><p className="muted">No run yet. Start one from the Gutenberg screen, or open one from History.</p></section>;
  return (
    <section className="screen live" data-testid="screen-live">
      <Header />
      <Controls />
      <div className="lanes" data-testid="lanes">
        {workers.map((w) => <Lane key={w.id} w={w} />)}
      </div>
      <h3>Throughput</h3>
      <ThroughputChart />
      <h3>Worker timeline</h3>
      <GanttCanvas />
      <Failures />
    </section>
  );
}
