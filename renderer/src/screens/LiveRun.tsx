import { memo, useState } from 'react';
import type { WorkerSnapshot, WorkerState } from '../../../shared/events';
import { getApi } from '../api/api';
import { GanttCanvas } from '../charts/GanttCanvas';
import { STATE_COLORS } from '../charts/colors';
import { ErrorCountsChart, PhaseQuantilesPanel, StragglersPanel } from '../charts/DashboardPanels';
import { ThroughputChart } from '../charts/ThroughputChart';
import { downloadBlob } from '../lib/download';
import { formatBytes, formatDuration } from '../lib/format';
import { LANE_STATE_TITLES, laneStateLabel, type LaneLabel } from '../lib/lane-state';
import { chromeTrace, failureWhere } from '../lib/run-analytics';
import { cleaningWaitNote, downloadedNote } from '../lib/downloaded-note';
import { failedItemsAdvice } from '../lib/run-stop';
import { describeError, setError, useAppStore } from '../stores/app-store';
import { showRunningJob, useActiveJobs } from '../stores/active-jobs';
import { runBuffers, useRunStore } from '../stores/run-store';
import { useShallow } from 'zustand/react/shallow';
import { MailFolderTallies } from './MailFolderTallies';
import { RateCapControl } from './RateCapControl';
import { RunsOnHost } from './RunsOnHost';

/** A lane's share of the run so far that it was not idle, % (dashboard.md §4: white space on its timeline is the rest). */
export function laneBusyPct(busyMs: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.max(0, Math.min(100, Math.round((100 * busyMs) / elapsedMs))) : 0;
}

const Lane = memo(function Lane({ w, elapsedMs, label }: { w: WorkerSnapshot; elapsedMs: number; label: LaneLabel }) {
  // A book waiting to clean is all in (its bar full, not the striped one of a transfer of unknown size).
  const pct = w.state === 'waiting to clean' ? 100 : w.itemTotal ? Math.min(100, (100 * w.itemBytes) / w.itemTotal) : w.state === 'idle' || w.state === 'stopped' || w.item === null ? 0 : null;
  return (
    <div className="lane" data-testid={`lane-${w.id}`} data-state={w.state}>
      <span className="lane-id">w{w.id}</span>
      <span className="lane-state" data-testid={`lane-${w.id}-state`} style={{ borderColor: STATE_COLORS[w.state] ?? '#ddd' }} title={LANE_STATE_TITLES[label]}>{label}</span>
      <span className="lane-item" title={w.item ?? ''}>{w.item ?? '—'}</span>
      <span className="lane-bar">
        <span className={pct === null ? 'indeterminate' : ''} style={{ width: pct === null ? '100%' : `${pct}%` }} />
      </span>
      <span className="lane-num" data-testid={`lane-${w.id}-items`}>{w.itemsDone} {w.itemsDone === 1 ? 'item' : 'items'}</span>
      <span className="lane-num">{formatBytes(w.bytesDone)}</span>
      <span className="lane-num" data-testid={`lane-${w.id}-busy`} title="The share of the run so far this worker was not idle (its white space on the timeline is the rest)">{laneBusyPct(w.busyMs, elapsedMs)}% busy</span>
      <span className="lane-num">{w.retries} {w.retries === 1 ? 'retry' : 'retries'}</span>
      <span className="lane-num error">{w.itemsFailed > 0 ? `${w.itemsFailed} failed` : ''}</span>
    </div>
  );
});

/** The timeline's colours, in the engine's phase order (idle and stopped are white space). */
const TIMELINE_LEGEND = (Object.keys(STATE_COLORS) as WorkerState[]).filter((st) => STATE_COLORS[st] !== null);

function Header() {
  const h = useRunStore(
    useShallow((s) => ({
      status: s.status, replay: s.replay, itemsTotal: s.itemsTotal, itemsDone: s.itemsDone, itemsFailed: s.itemsFailed,
      itemsSkipped: s.itemsSkipped, bytesDone: s.bytesDone, bytesPerSec: s.bytesPerSec, elapsedMs: s.elapsedMs, etaMs: s.etaMs, etaBand: s.etaBand,
      retries: s.retries, activeWorkers: s.activeWorkers, workerCount: s.workerCount, strategy: s.strategy, summary: s.summary, downloaded: s.downloaded,
      itemsCleaned: s.itemsCleaned, lanesWaitingToClean: s.workers.filter((w) => w.state === 'waiting to clean').length,
    })),
  );
  const finished = h.itemsDone + h.itemsFailed + h.itemsSkipped;
  const pct = h.itemsTotal ? (100 * finished) / h.itemsTotal : 0;
  // Books downloaded and waiting to be cleaned: a book is done once cleaned and on disk, and the first
  // scrubs of a run can take seconds while the bytes come in (the count stood at 0 meanwhile).
  const note = downloadedNote(h);
  // Once finished: what the lanes' 'waiting to clean' added up to (cleaning the bottleneck).
  const cleanWait = h.status === 'finished' ? cleaningWaitNote(h.summary?.scrubStage) : null;
  const waiting = note?.waiting ?? 0;
  const waitingPct = h.itemsTotal ? Math.min(100 - pct, (100 * waiting) / h.itemsTotal) : 0;
  // A paused job sends no frames: the last frame's rate and ETA would stand still as if it still moved.
  const paused = !h.replay && h.status === 'paused';
  return (
    <div className="run-header" data-testid="run-header">
      <div className="big" data-testid="run-progress">{finished.toLocaleString()} / {h.itemsTotal?.toLocaleString() ?? '?'}</div>
      <div className="progress" title={waiting > 0 && note ? `${finished} done; ${note.text}` : undefined}>
        <span style={{ width: `${pct}%` }} />
        {waitingPct > 0 && <span className="downloaded" data-testid="run-progress-downloaded" style={{ width: `${waitingPct}%` }} />}
      </div>
      {note && (
        <div className="muted progress-downloaded" data-testid="run-downloaded" title="A book is done once cleaned and on disk with its manifest line; these have been downloaded">
          {note.text}
        </div>
      )}
      {cleanWait && <div className="muted progress-downloaded" data-testid="run-clean-wait">{cleanWait}</div>}
      <dl>
        <dt>Status</dt><dd data-testid="run-status">{h.replay ? `replay (${h.summary?.status ?? 'unknown'})` : h.status === 'finished' ? h.summary?.status ?? 'interrupted' : h.status}</dd>
        <dt>Elapsed</dt><dd data-testid="run-elapsed">{formatDuration(h.elapsedMs)}</dd>
        <dt>ETA</dt>
        <dd>
          <span data-testid="run-eta">{h.status === 'finished' ? '—' : paused ? '— (paused)' : formatDuration(h.etaMs)}</span>
          {h.status !== 'finished' && !paused && h.etaBand && (
            <span className="eta-band" data-testid="run-eta-band" title="p10–p90 from the spread of per-item times">
              {' '}({formatDuration(h.etaBand.p10)}–{formatDuration(h.etaBand.p90)})
            </span>
          )}
        </dd>
        <dt>Throughput</dt><dd data-testid="run-throughput" title={h.status === 'finished' ? 'Bytes over the whole run\'s wall time' : 'Over the last second'}>{paused ? '0 B/s (paused)' : `${formatBytes(h.bytesPerSec)}/s${h.status === 'finished' ? ' avg' : ''}`}</dd>
        <dt>Bytes</dt><dd data-testid="run-bytes">{formatBytes(h.bytesDone)}</dd>
        <dt>Errors</dt><dd data-testid="run-errors" className={h.itemsFailed ? 'error' : ''}>{h.itemsFailed}</dd>
        <dt>Skipped</dt><dd data-testid="run-skipped">{h.itemsSkipped}</dd>
        <dt>Retries</dt><dd>{h.retries}</dd>
        <dt>Workers</dt><dd data-testid="run-workers">{h.status === 'finished' ? h.workerCount : `${h.activeWorkers}/${h.workerCount}`}{h.strategy ? ` · ${h.strategy}` : ''}</dd>
      </dl>
    </div>
  );
}

function Controls() {
  const { jobId, status, replay, outDir, kind } = useRunStore(useShallow((s) => ({ jobId: s.jobId, status: s.status, replay: s.replay, outDir: s.outDir, kind: s.kind })));
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
  const exportTrace = () => {
    const s = useRunStore.getState();
    const trace = chromeTrace({
      jobId, kind: s.kind ?? 'job', workerCount: s.workerCount, spans: runBuffers.spans, open: runBuffers.open, now: runBuffers.now,
      series: runBuffers.series, droppedSpans: runBuffers.droppedSpans,
    });
    downloadBlob(`fanout-trace-${jobId}.json`, new Blob([JSON.stringify(trace)], { type: 'application/json' }));
  };
  return (
    <div className="controls">
      {live && status !== 'paused' && <button data-testid="pause" disabled={busy} onClick={() => void act(() => api.pauseJob({ jobId }))}>Pause</button>}
      {live && status === 'paused' && <button data-testid="resume" disabled={busy} onClick={() => void act(() => api.resumeJob({ jobId }))}>Resume</button>}
      {live && <button data-testid="cancel" className="danger" disabled={busy} onClick={() => void act(() => api.cancelJob({ jobId }))}>Cancel</button>}
      {live && kind === 'gutenberg' && <RateCapControl jobId={jobId} />}
      <button data-testid="export-trace" title="Chrome Trace Event JSON of the run's phases: open it in Perfetto (ui.perfetto.dev) or chrome://tracing" onClick={exportTrace}>Export trace</button>
      {status === 'finished' && outDir && canOpen && <button onClick={() => void act(() => api.openPath({ path: outDir }))}>Open output folder</button>}
      {status === 'finished' && outDir && !canOpen && <span className="muted">Output: <code data-testid="out-path">{outDir}</code></span>}
      {live && <RunsOnHost what="job" />}
    </div>
  );
}

/**
 * Why a finished job stopped, and what to do, at the top of the view: the job-level error (an
 * unreachable mirror, a full disk, a wrong password) is otherwise one row of the errors panel, below
 * the charts. A re-run skips what is done, and the person should know it before redoing anything.
 */
function StopReason() {
  const { status, replay, kind, summary, failures, errorCounts } = useRunStore(useShallow((s) => ({ status: s.status, replay: s.replay, kind: s.kind, summary: s.summary, failures: s.failures, errorCounts: s.errorCounts })));
  if (status !== 'finished' || replay || !summary || summary.status === 'succeeded') return null;
  const fatal = failures.find((f) => f.item === '(job)') ?? summary.failures.find((f) => f.item === '(job)');
  const items = kind === 'mail' ? 'messages' : 'books';
  const done = `the ${items} already done are skipped`;
  return (
    <div className={`banner${fatal ? ' error' : ''}`} data-testid="run-stopped">
      {fatal ? (
        // The engine's message says what to do (free space, check the URL, the password); a re-run keeps what is done.
        <>Stopped: <code>{fatal.error.code}</code> {fatal.error.message}{failureWhere(fatal) ? <span className="muted"> ({failureWhere(fatal)})</span> : null}</>
      ) : summary.status === 'cancelled' ? (
        <>Cancelled. Start the same job again to finish it: {done}.</>
      ) : (
        // A re-run is offered only for what may pass then (not a book the mirror does not have).
        <>{failedItemsAdvice(errorCounts, summary.itemsFailed, summary.itemsDone, items)}</>
      )}
    </div>
  );
}

/** Errors: counts by stable code (canvas), then the list with where each one happened. */
function ErrorsPanel() {
  const failures = useRunStore((s) => s.failures);
  const warnings = useRunStore((s) => s.warnings);
  const total = useRunStore((s) => s.itemsFailed);
  return (
    <div className="panel errors-panel" data-testid="failures">
      <h3>Errors{total ? ` (${total})` : ''}</h3>
      <ErrorCountsChart />
      {failures.length > 0 && (
        <table className="failure-list">
          <thead><tr><th>item</th><th>code</th><th>where</th><th>message</th></tr></thead>
          <tbody>
            {failures.map((f, i) => (
              <tr key={`f${i}`} data-testid="failure" className={f.error.retryable ? 'retryable' : ''}>
                <td><b>{f.item}</b></td>
                <td><code>{f.error.code}</code></td>
                <td className="where">{failureWhere(f)}</td>
                <td>{f.error.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {warnings.length > 0 && <ul>{warnings.map((w, i) => <li key={`w${i}`} className="muted">{w}</li>)}</ul>}
    </div>
  );
}

/** `--workers auto`: each decision (time, N, throughput measured, why). */
function AutoWorkersPanel() {
  const decisions = useRunStore((s) => s.workerDecisions);
  if (decisions.length === 0) return null;
  return (
    <div className="panel" data-testid="auto-workers">
      <h3>Connections (auto)</h3>
      <ol className="auto-workers">
        {decisions.map((d, i) => (
          <li key={`d${i}`} data-testid="auto-decision">
            {(d.atMs / 1000).toFixed(1)} s: <b>{d.workers}</b>{d.throughput > 0 ? ` at ${formatBytes(d.throughput)}/s` : ''} — {d.why}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** A job the host runs that this view does not show (it shows a replay, or another job): a way back to it. */
function OtherRunningJob() {
  const jobId = useRunStore((s) => s.jobId);
  const replay = useRunStore((s) => s.replay);
  const others = useActiveJobs((s) => s.ids.filter((id) => replay || id !== jobId).length);
  if (others === 0) return null;
  return (
    <div className="banner" data-testid="other-running-job">
      {others === 1 ? 'A job is running.' : `${others} jobs are running.`}{' '}
      <button data-testid="show-running-job" onClick={() => void showRunningJob().catch((err) => setError(describeError(err)))}>Show the running job</button>
    </div>
  );
}

export function LiveRun() {
  const jobId = useRunStore((s) => s.jobId);
  const workers = useRunStore((s) => s.workers);
  const elapsedMs = useRunStore((s) => s.elapsedMs);
  const ends = useRunStore(useShallow((s) => ({ laneEnds: s.laneEnds, summary: s.summary, failures: s.failures })));
  if (!jobId) return <section className="screen" data-testid="screen-live"><OtherRunningJob /><p className="muted">No run yet. Start one from the Gutenberg screen, or open one from History.</p></section>;
  return (
    <section className="screen live" data-testid="screen-live">
      <OtherRunningJob />
      <Header />
      <StopReason />
      <Controls />
      <MailFolderTallies />
      <AutoWorkersPanel />
      <div className="lanes" data-testid="lanes">
        {workers.map((w) => <Lane key={w.id} w={w} elapsedMs={elapsedMs} label={laneStateLabel(w, ends)} />)}
      </div>
      <h3>Throughput</h3>
      <ThroughputChart />
      <h3>Worker timeline</h3>
      <p className="legend muted" data-testid="gantt-legend">
        {TIMELINE_LEGEND.map((st) => <span key={st} data-testid={`gantt-legend-${st.replaceAll(' ', '-')}`} title={LANE_STATE_TITLES[st]}><span className="swatch" style={{ background: STATE_COLORS[st] ?? 'transparent' }} /> {st} </span>)}
        <span>· idle is white space</span>
      </p>
      <GanttCanvas />
      <div className="panels">
        <div className="panel">
          <h3 title="In-flight items: transfers ranked by how many times slower than the others in flight (their rates over the last 3 s), then the items not moving bytes by elapsed time ÷ the median item time">Stragglers</h3>
          <StragglersPanel />
        </div>
        <div className="panel">
          <h3 title="Per phase: min, p50, p90 and max of the timeline spans (updated every second)">Phase quantiles</h3>
          <PhaseQuantilesPanel />
        </div>
      </div>
      <ErrorsPanel />
    </section>
  );
}
