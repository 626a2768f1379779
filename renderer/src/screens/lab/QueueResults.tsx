import type { QueueAnalysis } from '../../../../shared/lab/queue-analysis';
import { QueueChart } from '../../charts/QueueChart';
import type { LabFileSet } from '../../lib/lab-results';
import { LabExports, LabNotes } from './LabExports';

const boundName = (b: number | null) => (b === null ? 'unbounded' : String(b));

/** The queue lab per bound: the note naming the smallest bound that keeps both stages busy, the chart, the table (as `fanout lab queue`). */
export function QueueResults({ analysis, files }: { analysis: QueueAnalysis; files: LabFileSet }) {
  return (
    <>
      <div className="lab-summary" data-testid="lab-summary">
        {analysis.busyBound !== undefined && <span>Smallest bound keeping both stages busy: <b data-testid="lab-busy-bound">{boundName(analysis.busyBound)}</b></span>}
        <LabExports kind="queue" files={files} />
      </div>
      <LabNotes notes={analysis.notes} />
      <QueueChart rows={analysis.rows} />
      <table className="lab-table" data-testid="lab-table">
        <thead><tr><th>bound</th><th>time</th><th>books/s</th><th title="time download workers waited for room, summed over workers">waited</th><th>peak queued</th><th title="the whole process, sampled every 20 ms">peak RSS</th><th>done/failed</th></tr></thead>
        <tbody>
          {analysis.rows.map((r) => (
            <tr key={boundName(r.bound)} data-bound={boundName(r.bound)}><td>{boundName(r.bound)}</td><td>{r.seconds.toFixed(2)} s</td><td>{r.booksPerSecond.toFixed(1)}</td><td>{(r.blockedMs / 1000).toFixed(2)} s</td><td>{r.peakInFlight}</td><td>{(r.peakRssBytes / 2 ** 20).toFixed(0)} MB</td><td>{r.itemsDone}/{r.itemsFailed}</td></tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
