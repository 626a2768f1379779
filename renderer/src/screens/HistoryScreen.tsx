import { useEffect } from 'react';
import { getApi } from '../api/api';
import { formatBytes, formatDuration } from '../lib/format';
import { describeError, refreshHistory, setError, setScreen, useAppStore } from '../stores/app-store';
import { loadRecording } from '../stores/run-store';

export function HistoryScreen() {
  const history = useAppStore((s) => s.history);
  useEffect(() => {
    refreshHistory().catch((err) => setError(describeError(err)));
  }, []);
  const open = async (jobId: string) => {
    try {
      const rec = await getApi().getRun({ jobId });
      if (!rec) return setError('That run has no recording.');
      loadRecording(rec);
      setScreen('live');
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <section className="screen" data-testid="screen-history">
      {history.length === 0 ? <p className="muted">No runs yet.</p> : (
        <table className="history" data-testid="history-table">
          <thead><tr><th>started</th><th>kind</th><th>status</th><th>strategy</th><th>workers</th><th>done/failed/skipped</th><th>bytes</th><th>wall</th><th /></tr></thead>
          <tbody>
            {history.map(({ summary: s, hasRecording }) => (
              <tr key={s.jobId} data-testid="history-row">
                <td>{new Date(s.startedAt).toLocaleString()}</td><td>{s.kind}</td><td className={s.status === 'succeeded' ? '' : 'error'}>{s.status}</td>
                <td>{s.strategy}</td><td>{s.workers}</td><td>{s.itemsDone}/{s.itemsFailed}/{s.itemsSkipped}</td><td>{formatBytes(s.bytes)}</td><td>{formatDuration(s.wallMs)}</td>
                <td>{hasRecording && <button onClick={() => void open(s.jobId)}>Open</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
