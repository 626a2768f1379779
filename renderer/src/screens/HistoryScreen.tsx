import { useEffect } from 'react';
import type { JobSummary } from '../../../shared/events';
import type { VerifyReport } from '../../../shared/verify-report';
import { getApi } from '../api/api';
import { formatBytes, formatDuration } from '../lib/format';
import { describeError, refreshHistory, setError, setScreen, useAppStore } from '../stores/app-store';
import { loadRecording, nextTask } from '../stores/run-store';
import { useVerifyStore, verifyRun } from '../stores/verify-store';

export function HistoryScreen() {
  const history = useAppStore((s) => s.history);
  const verifying = useVerifyStore((s) => s.verifying);
  const verified = useVerifyStore((s) => s.verified);
  useEffect(() => {
    refreshHistory().catch((err) => setError(describeError(err)));
  }, []);
  const open = async (jobId: string) => {
    try {
      const loaded = await loadRecording(jobId, (from, count) => getApi().getRun({ jobId, from, count }));
      if (loaded === 'missing') return setError('That run has no recording.');
      if (loaded !== 'loaded') return;
      // The live view mounts (charts, first paint of 20,000 spans) in a task of its own, not in the
      // one that applied the recording's last page.
      await nextTask();
      setScreen('live');
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <section className="screen" data-testid="screen-history">
      {history.length === 0 ? <p className="muted">No runs yet.</p> : (
        <table className="history" data-testid="history-table">
          <thead><tr><th>started</th><th>kind</th><th>status</th><th>strategy</th><th>workers</th><th title="Of the items picked: a run stopped early (cancelled, a full disk) leaves the rest for the next run">done/failed/skipped of picked</th><th>bytes</th><th>wall</th><th>output folder</th><th /></tr></thead>
          <tbody>
            {history.map(({ summary: s, hasRecording }) => (
              <tr key={s.jobId} data-testid="history-row">
                <td>{new Date(s.startedAt).toLocaleString()}</td><td>{s.kind}</td><td className={s.status === 'succeeded' ? '' : 'error'} data-testid="history-status">{s.status}{stoppedBy(s) ? <> (<code title={stoppedBy(s)!.message}>{stoppedBy(s)!.code}</code>)</> : null}</td>
                <td>{s.strategy}</td><td>{s.workers}</td><td data-testid="history-items">{s.itemsDone}/{s.itemsFailed}/{s.itemsSkipped} of {s.itemsTotal}</td><td>{formatBytes(s.bytes)}</td><td>{formatDuration(s.wallMs)}</td><td className="muted"><code>{s.outDir}</code></td>
                <td>
                  {hasRecording && <button onClick={() => void open(s.jobId)}>Open</button>}
                  <button data-testid="history-verify" disabled={verifying !== null} title="Re-hash every file against the run's manifest or index: missing, corrupt and extra files" onClick={() => void verifyRun(s.jobId)}>
                    {verifying === s.jobId ? 'Verifying…' : 'Verify'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {verified && <VerifyResult report={verified.report} run={history.find((h) => h.summary.jobId === verified.jobId)?.summary} />}
    </section>
  );
}

const MAX_SHOWN = 50;

/** The job-level error that stopped a run (a full disk, an unreachable mirror), if one did: said in the row, not only in its recording. */
function stoppedBy(s: JobSummary): { code: string; message: string } | null {
  const f = s.failures.find((x) => x.item === '(job)');
  return f ? { code: f.error.code, message: f.error.message } : null;
}

/** The outcome of a Verify: counts, then the problems (the CLI's `fanout verify --json` lists them all). */
function VerifyResult({ report: r, run }: { report: VerifyReport; run?: { kind: string; startedAt: string; outDir: string } | undefined }) {
  const problems = [
    ...r.missing.map((p) => ({ kind: 'missing', p })),
    ...r.corrupt.map((p) => ({ kind: 'corrupt', p })),
    ...r.extra.map((p) => ({ kind: 'extra', p })),
  ];
  return (
    <div className="panel" data-testid="verify-result">
      {/* Which run and folder: the report alone did not say (several rows may share a folder or not). */}
      {run && <p className="muted" data-testid="verify-target">Verified the {run.kind} run of {new Date(run.startedAt).toLocaleString()}, in <code>{run.outDir}</code></p>}
      <p className={r.ok ? '' : 'error'} data-testid="verify-summary">
        {r.ok ? 'OK' : 'Problems'}: {r.checked.files} files re-hashed; {r.missing.length} missing, {r.corrupt.length} corrupt, {r.extra.length} extra
      </p>
      {problems.length > 0 && (
        <ul>
          {problems.slice(0, MAX_SHOWN).map(({ kind, p }, i) => (
            <li key={i}>{kind}: {p.where}{p.file ? ` ${p.file}` : ''}{p.uid !== undefined ? ` UID ${p.uid}` : ''}{p.ebook !== undefined ? ` ebook ${p.ebook}` : ''}: {p.detail}</li>
          ))}
          {problems.length > MAX_SHOWN && <li className="muted">… {problems.length - MAX_SHOWN} more</li>}
        </ul>
      )}
    </div>
  );
}
