import { useEffect, useMemo, useState } from 'react';
import type uPlot from 'uplot';
import { LAB_WORKER_COUNTS } from '../../../shared/ipc';
import { STRATEGIES, type Strategy } from '../../../shared/strategy';
import { getApi } from '../api/api';
import { EfficiencyChart, SpeedupChart, type RunPoint } from '../charts/SpeedupChart';
import { downloadBlob } from '../lib/download';
import { idsToRanges } from '../lib/format';
import { analyseLab, type LabAnalysis } from '../../../shared/lab/lab-analysis';
import { labCsv, labSvg } from '../../../shared/lab/lab-files';
import { runSpeedup } from '../../../shared/lab/speedup-fits';
import { describeError, refreshHistory, setError, useAppStore } from '../stores/app-store';
import { useRunStore } from '../stores/run-store';
import { useCatalogStore } from '../stores/catalog-store';
import { useLabStore } from '../stores/lab-store';

/** The current (or else the last) normal Gutenberg run: workers, bytes and wall time. */
function useNormalRun(): { workers: number; bytes: number; wallMs: number; label: string } | null {
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

/** What the measurements say, in words (shared/lab/lab-analysis.ts, the same notes `fanout lab` prints), and the normal run's place. */
function LabVerdict({ analysis, run }: { analysis: LabAnalysis; run: RunPoint | null }) {
  const notes = [...analysis.notes];
  if (run && analysis.recommended !== null) notes.push(run.workers > analysis.recommended ? `The ${run.label.split(':')[0]} uses more workers than recommended (${analysis.recommended}).` : `The ${run.label.split(':')[0]} is the hollow point.`);
  if (notes.length === 0) return null;
  return <ul className="lab-notes" data-testid="lab-notes">{notes.map((n) => <li key={n}>{n}</li>)}</ul>;
}

const times = (x: number | null) => (x !== null ? `${x.toFixed(2)}×` : '–');

export function LabScreen() {
  const lab = useLabStore();
  const form = useAppStore((s) => s.form);
  const catalog = useCatalogStore((s) => s.info);
  const selectedCount = useCatalogStore((s) => s.selected.size);
  const [chart, setChart] = useState<uPlot | null>(null);
  const analysis = useMemo(() => analyseLab(lab.points), [lab.points]);
  const normal = useNormalRun();
  const runPoint = useMemo<RunPoint | null>(() => {
    const sp = normal ? runSpeedup(normal, analysis.oneWorker) : null;
    return normal && sp !== null ? { workers: normal.workers, speedup: sp, label: `${normal.label}: ${sp.toFixed(2)}×` } : null;
  }, [normal, analysis.oneWorker]);
  useEffect(() => {
    refreshHistory().catch(() => {});
  }, []);

  const setConfig = (patch: Partial<typeof lab.config>) => useLabStore.setState((s) => ({ config: { ...s.config, ...patch } }));
  const toggle = <T,>(xs: T[], x: T) => (xs.includes(x) ? xs.filter((y) => y !== x) : [...xs, x]);

  const run = async () => {
    setError(null);
    try {
      const ids = idsToRanges(useCatalogStore.getState().selected);
      const res = await getApi().runLab({
        spec: { kind: 'gutenberg', catalog: catalog?.path ?? form.catalogPath, mirror: form.mirror, selection: ids.length ? { ids } : {}, workers: 1, strategy: 'queue', outDir: form.outDir },
        strategies: lab.config.strategies,
        workerCounts: lab.config.workerCounts,
        sampleSize: lab.config.sampleSize,
        repeats: lab.config.repeats,
        compareScrubExecutors: lab.config.compareScrubExecutors,
      });
      useLabStore.setState({ labId: res.labId });
    } catch (err) {
      setError(`Could not start the lab: ${describeError(err)}`);
    }
  };

  const exportPng = () => {
    const canvas = chart?.ctx.canvas;
    canvas?.toBlob((b) => b && downloadBlob('fanout-speedup.png', b), 'image/png');
  };

  return (
    <section className="screen lab" data-testid="screen-lab">
      <p className="muted">
        Runs a sample of the Gutenberg job ({selectedCount ? `${selectedCount} selected books` : 'the whole catalog'}, first {lab.config.sampleSize}) under each strategy and worker count, each into a fresh folder.
      </p>
      <div className="form-grid">
        <fieldset>
          <legend>Strategies</legend>
          {STRATEGIES.map((s) => (
            <label key={s} className="check"><input type="checkbox" data-testid={`lab-strategy-${s}`} checked={lab.config.strategies.includes(s)} onChange={() => setConfig({ strategies: toggle<Strategy>(lab.config.strategies, s) })} />{s}</label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Workers</legend>
          {LAB_WORKER_COUNTS.map((n) => (
            <label key={n} className="check"><input type="checkbox" data-testid={`lab-workers-${n}`} checked={lab.config.workerCounts.includes(n)} onChange={() => setConfig({ workerCounts: toggle(lab.config.workerCounts, n) })} />{n}</label>
          ))}
        </fieldset>
        <label>Sample size<input type="number" data-testid="lab-sample" min={1} max={2000} value={lab.config.sampleSize} onChange={(e) => setConfig({ sampleSize: Math.max(1, Number(e.target.value) || 1) })} /></label>
        <label>Repeats<input type="number" min={1} max={9} value={lab.config.repeats} onChange={(e) => setConfig({ repeats: Math.max(1, Number(e.target.value) || 1) })} /></label>
        <label className="check"><input type="checkbox" checked={lab.config.compareScrubExecutors} onChange={(e) => setConfig({ compareScrubExecutors: e.target.checked })} />Compare scrub threads vs processes</label>
      </div>
      <div className="actions">
        <button className="primary" data-testid="lab-run" disabled={lab.status === 'running' || !catalog || lab.config.strategies.length === 0 || lab.config.workerCounts.length === 0} onClick={() => void run()}>Run the lab</button>
        {lab.status === 'running' && lab.labId && <button className="danger" onClick={() => void getApi().cancelLab({ labId: lab.labId! })}>Cancel</button>}
        <span data-testid="lab-status">{lab.status}{lab.status === 'running' ? ` ${lab.done}/${lab.cells}` : ''}</span>
        {lab.error && <span className="error">{lab.error}</span>}
      </div>
      {analysis.series.length > 0 && (
        <>
          <div className="lab-summary" data-testid="lab-summary">
            {analysis.amdahl && <span>Amdahl fit ({analysis.best?.label}): <b data-testid="lab-p">p = {analysis.amdahl.p.toFixed(3)}</b>, ceiling {Number.isFinite(analysis.amdahl.ceiling) ? `${analysis.amdahl.ceiling.toFixed(1)}×` : '∞'}</span>}
            {analysis.usl && (
              <span data-testid="lab-usl">
                USL: σ = {analysis.usl.sigma.toFixed(3)}, κ = {analysis.usl.kappa.toFixed(4)}, <b>N* {Number.isFinite(analysis.usl.peak) ? `≈ ${analysis.usl.peak.toFixed(1)}` : '= ∞'}</b>
                {Number.isFinite(analysis.usl.peak) ? ` (peak ${analysis.usl.peakSpeedup.toFixed(1)}×)` : ''}
              </span>
            )}
            {analysis.recommended !== null && <span>Recommended: <b data-testid="lab-recommended">{analysis.recommended} workers</b></span>}
            <button data-testid="lab-csv" onClick={() => downloadBlob('fanout-speedup.csv', new Blob([labCsv(analysis.rows)], { type: 'text/csv' }))}>Export CSV</button>
            <button data-testid="lab-svg" onClick={() => downloadBlob('fanout-speedup.svg', new Blob([labSvg(analysis)], { type: 'image/svg+xml' }))}>Export SVG</button>
            <button data-testid="lab-png" disabled={!chart} onClick={exportPng}>Export PNG</button>
          </div>
          <LabVerdict analysis={analysis} run={runPoint} />
          <SpeedupChart series={analysis.series} fit={analysis.amdahl} usl={analysis.usl} run={runPoint} onChart={setChart} />
          {analysis.best && <EfficiencyChart rows={analysis.best.rows} />}
          <table className="lab-table" data-testid="lab-table">
            <thead><tr><th>strategy</th><th>scrub</th><th>workers</th><th>time</th><th title="time of the serial run over this time">vs serial</th><th title="time of the same strategy at one worker over this time">vs 1 worker</th><th title="speedup against one worker, over workers">efficiency</th><th title="Karp–Flatt experimentally determined serial fraction">e(n)</th><th>done/failed</th></tr></thead>
            <tbody>
              {analysis.rows.map((r, i) => (
                <tr key={i}><td>{r.strategy}</td><td>{r.scrubExecutor}</td><td>{r.workers}</td><td>{r.seconds.toFixed(2)} s</td><td>{times(r.vsSerial)}</td><td>{times(r.vsOneWorker)}</td><td>{r.efficiency !== null ? `${(100 * r.efficiency).toFixed(0)}%` : '–'}</td><td>{r.karpFlatt !== null ? r.karpFlatt.toFixed(3) : '–'}</td><td>{r.itemsDone}/{r.itemsFailed}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
