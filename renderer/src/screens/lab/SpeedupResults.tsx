import { useMemo, useState } from 'react';
import type uPlot from 'uplot';
import type { LabKind } from '../../../../shared/ipc';
import type { LabAnalysis } from '../../../../shared/lab/lab-analysis';
import { EfficiencyChart, SpeedupChart, type RunPoint } from '../../charts/SpeedupChart';
import { LabTimeChart } from '../../charts/LabTimeChart';
import { fastestByWorkers, fastestText, labTimeSeries } from '../../lib/lab-time-series';
import { downloadBlob } from '../../lib/download';
import { exportName, type LabFileSet } from '../../lib/lab-results';
import { speedupSpread, spreadNote } from '../../lib/speedup-spread';
import { LabExports, LabNotes } from './LabExports';

const times = (x: number | null) => (x !== null ? `${x.toFixed(2)}×` : '–');

/** A cell's fastest and slowest run, seconds ('' for a single run). */
const runRange = (wallMs: readonly number[]) => (wallMs.length > 1 ? `${(Math.min(...wallMs) / 1000).toFixed(2)}–${(Math.max(...wallMs) / 1000).toFixed(2)}` : '');

/**
 * A speedup lab's results (gutenberg, scrub, mail): the fits and recommendation, the exports, the
 * notes, the speedup chart (with the normal run as a hollow point, for the Gutenberg lab), efficiency
 * and Karp–Flatt, and the table of cells: all from shared/lab, as `fanout lab` prints them.
 */
export function SpeedupResults({ kind, analysis, files, run = null, extraNotes = [], workersName = 'workers' }: { kind: LabKind; analysis: LabAnalysis; files: LabFileSet; run?: RunPoint | null; extraNotes?: string[]; workersName?: string }) {
  const [chart, setChart] = useState<uPlot | null>(null);
  const spread = useMemo(() => speedupSpread(analysis), [analysis]);
  // The curves named as on the speedup chart (the scrub lab names executors); serial has no curve there.
  const timeSeries = useMemo(
    () => labTimeSeries(analysis.rows, (st, ex) => analysis.series.find((x) => x.strategy === st && x.scrubExecutor === ex)?.label ?? (ex === 'processes' ? `${st} (processes)` : st)),
    [analysis],
  );
  const fastest = useMemo(() => fastestByWorkers(timeSeries), [timeSeries]);
  const png = chart ? () => chart.ctx.canvas.toBlob((b) => b && downloadBlob(exportName(kind, 'png'), b), 'image/png') : null;
  return (
    <>
      <div className="lab-summary" data-testid="lab-summary">
        {analysis.amdahl && <span>Amdahl fit ({analysis.best?.label}): <b data-testid="lab-p">p = {analysis.amdahl.p.toFixed(3)}</b>, ceiling {Number.isFinite(analysis.amdahl.ceiling) ? `${analysis.amdahl.ceiling.toFixed(1)}×` : '∞'}</span>}
        {analysis.usl && (
          <span data-testid="lab-usl">
            USL: σ = {analysis.usl.sigma.toFixed(3)}, κ = {analysis.usl.kappa.toFixed(4)}, <b>N* {Number.isFinite(analysis.usl.peak) ? `≈ ${analysis.usl.peak.toFixed(1)}` : '= ∞'}</b>
            {Number.isFinite(analysis.usl.peak) ? ` (peak ${analysis.usl.peakSpeedup.toFixed(1)}×)` : ''}
          </span>
        )}
        {analysis.recommended !== null && <span>Recommended: <b data-testid="lab-recommended">{analysis.recommended} {workersName}</b></span>}
        <LabExports kind={kind} files={files} png={png} />
      </div>
      <LabNotes notes={[...analysis.notes, ...extraNotes]} />
      {analysis.series.length > 0 && <SpeedupChart series={analysis.series} fit={analysis.amdahl} usl={analysis.usl} run={run} spread={spread} onChart={setChart} />}
      {analysis.series.length > 0 && <p className="muted" data-testid="speedup-spread-note">{spreadNote(spread, analysis.rows)}</p>}
      {analysis.best && <EfficiencyChart rows={analysis.best.rows} series={analysis.best.label} />}
      {timeSeries.length > 1 && (
        <>
          <h4>Time per cell: the strategies side by side</h4>
          <p className="muted" data-testid="lab-time-note" data-verdicts={JSON.stringify(fastest.map((f) => ({ workers: f.workers, verdict: f.verdict, tied: f.tied })))}>
            Each speedup above is over its own strategy&apos;s one-worker time, so a strategy fast with one worker draws a lower curve. Here the same measure for all (lower is faster)
            {fastest.length > 0 ? `. Fastest ${fastest.map(fastestText).join('; ')}.` : '.'}
          </p>
          <LabTimeChart series={timeSeries} />
        </>
      )}
      <table className="lab-table" data-testid="lab-table">
        <thead><tr><th>strategy</th><th>scrub</th><th>{workersName}</th><th title="the median of the cell's runs (fastest–slowest)">time</th><th title="time of the serial run over this time">vs serial</th><th title="time of the same strategy at one worker over this time">vs 1 worker</th><th title="speedup against one worker, over workers">efficiency</th><th title="Karp–Flatt experimentally determined serial fraction">e(n)</th><th>done/failed</th></tr></thead>
        <tbody>
          {analysis.rows.map((r, i) => (
            <tr key={i} data-strategy={r.strategy} data-executor={r.scrubExecutor} data-workers={r.workers}><td>{r.strategy}</td><td>{r.scrubExecutor}</td><td>{r.workers}</td><td>{r.seconds.toFixed(2)} s{r.wallMs.length > 1 && <span className="muted" data-testid="lab-time-range"> ({runRange(r.wallMs)})</span>}</td><td>{times(r.vsSerial)}</td><td>{times(r.vsOneWorker)}</td><td>{r.efficiency !== null ? `${(100 * r.efficiency).toFixed(0)}%` : '–'}</td><td>{r.karpFlatt !== null ? r.karpFlatt.toFixed(3) : '–'}</td><td>{r.itemsDone}/{r.itemsFailed}</td></tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
