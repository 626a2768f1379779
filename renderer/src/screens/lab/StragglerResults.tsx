import type { StragglerAnalysis } from '../../../../shared/lab/straggler-analysis';
import type { LabFileSet } from '../../lib/lab-results';
import { LabExports, LabNotes } from './LabExports';

const ms = (x: number | null) => (x === null ? '–' : `${(x / 1000).toFixed(2)} s`);

/**
 * The stragglers lab per timeout: the notes, the chart and the table of `fanout lab stragglers`.
 * The chart is the lab.svg itself (shared/lab/straggler-analysis.ts builds it from the numbers and
 * escapes its labels), so what the screen shows and what Export saves cannot differ.
 */
export function StragglerResults({ analysis, files }: { analysis: StragglerAnalysis; files: LabFileSet }) {
  return (
    <>
      <div className="lab-summary" data-testid="lab-summary">
        {analysis.fastest && <span>Fastest: <b data-testid="lab-fastest">timeout {analysis.fastest.name}</b></span>}
        {analysis.shortestTail && <span>Shortest tail: <b data-testid="lab-shortest-tail">timeout {analysis.shortestTail.name}</b></span>}
        <LabExports kind="stragglers" files={files} />
      </div>
      <LabNotes notes={analysis.notes} />
      <div className="chart lab-svg" data-testid="straggler-chart" dangerouslySetInnerHTML={{ __html: files.svg }} />
      <table className="lab-table" data-testid="lab-table">
        <thead><tr><th>timeout</th><th>time</th><th title="item latency: first attempt to landing">p50</th><th>p95</th><th>p99</th><th>max</th><th>items measured</th><th title="items that took more than one attempt">retried</th><th title="attempts cut by the timeout">cut</th><th>done/failed</th></tr></thead>
        <tbody>
          {analysis.rows.map((r) => (
            <tr key={r.name} data-timeout={r.name}><td>{r.name}</td><td>{r.seconds.toFixed(2)} s</td><td>{ms(r.p50)}</td><td>{ms(r.p95)}</td><td>{ms(r.p99)}</td><td>{ms(r.maxMs)}</td><td>{r.latenciesMs.length}</td><td>{r.itemsRetried}</td><td>{r.timeouts}</td><td>{r.itemsDone}/{r.itemsFailed}</td></tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
