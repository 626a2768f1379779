import { useEffect, useMemo, useState } from 'react';
import type uPlot from 'uplot';
import { LAB_WORKER_COUNTS, type LabPoint } from '../../../shared/ipc';
import { STRATEGIES, type Strategy } from '../../../shared/strategy';
import { getApi } from '../api/api';
import { EfficiencyChart, SpeedupChart, type RunPoint, type SpeedupSeries } from '../charts/SpeedupChart';
import { downloadBlob } from '../lib/download';
import { formatDuration, idsToRanges } from '../lib/format';
import { fitAmdahl, fitUsl, karpFlattTrend, labCsv, recommendWorkers, runSpeedup, speedupTable, type LabCsvRow } from '../lib/speedup';
import { describeError, refreshHistory, setError, useAppStore } from '../stores/app-store';
import { useRunStore } from '../stores/run-store';
import { useCatalogStore } from '../stores/catalog-store';
import { useLabStore } from '../stores/lab-store';

/** Groups lab points into per-strategy speedup tables (threads only; the processes cell is shown apart). */
export function analyseLab(points: readonly LabPoint[]) {
  const serial = points.find((p) => p.strategy === 'serial' && p.scrubExecutor === 'threads');
  const series: SpeedupSeries[] = [];
  const csv: LabCsvRow[] = [];
  for (const s of STRATEGIES) {
    const pts = points.filter((p) => p.strategy === s && p.scrubExecutor === 'threads');
    if (pts.length === 0) continue;
    const rows = speedupTable(pts.map((p) => ({ workers: p.workers, ms: p.medianMs })), serial?.medianMs);
    if (s !== 'serial') series.push({ label: s, rows });
    for (const p of pts) {
      const r = rows.find((x) => x.workers === p.workers)!;
      csv.push({ ...p, speedup: r.speedup, efficiency: r.efficiency, karpFlatt: r.karpFlatt });
    }
  }
  for (const p of points.filter((x) => x.scrubExecutor === 'processes')) {
    const base = points.find((x) => x.strategy === p.strategy && x.workers === p.workers && x.scrubExecutor === 'threads');
    csv.push({ ...p, speedup: base ? base.medianMs / p.medianMs : NaN, efficiency: NaN });
  }
  const best = series.reduce<SpeedupSeries | null>((a, b) => (!a || Math.max(...b.rows.map((r) => r.speedup)) > Math.max(...a.rows.map((r) => r.speedup)) ? b : a), null);
  const fit = best ? fitAmdahl(best.rows) : null;
  const usl = best ? fitUsl(best.rows) : null;
  // The one-worker throughput a normal run is compared with: the best strategy's, else serial's.
  const one = (best ? points.find((p) => p.strategy === best.label && p.workers === 1 && p.scrubExecutor === 'threads') : undefined) ?? serial;
  const base = one && one.bytes > 0 ? { bytes: one.bytes, ms: one.medianMs } : null;
  return { series, csv, best, fit, usl, base, trend: best ? karpFlattTrend(best.rows) : null, recommended: best ? recommendWorkers(best.rows) : null };
}

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

/** What the fits say, in words (dashboard.md §3): retrograde throughput, Karp–Flatt's trend, the run's place. */
function LabVerdict({ analysis, run }: { analysis: ReturnType<typeof analyseLab>; run: RunPoint | null }) {
  const notes: string[] = [];
  const maxN = analysis.best ? Math.max(...analysis.best.rows.map((r) => r.workers)) : 0;
  const usl = analysis.usl;
  if (usl && Number.isFinite(usl.peak) && usl.peak < maxN) notes.push(`Throughput falls past N* ≈ ${usl.peak.toFixed(1)} workers: contention (server limits or CPU); the USL fits where Amdahl cannot.`);
  else if (usl && Number.isFinite(usl.peak)) notes.push(`The USL puts the peak at N* ≈ ${usl.peak.toFixed(1)} workers, past the measured range.`);
  if (analysis.trend === 'rising') notes.push('Karp–Flatt e(n) rises with n: overhead grows with workers (contention).');
  else if (analysis.trend === 'flat') notes.push('Karp–Flatt e(n) stays flat: the serial fraction is real.');
  if (usl && usl.used < 5) notes.push(`Only ${usl.used} points beyond one worker: read the fits with care (about 6 are needed).`);
  if (run && analysis.recommended !== null) notes.push(run.workers > analysis.recommended ? `The ${run.label.split(':')[0]} uses more workers than recommended (${analysis.recommended}).` : `The ${run.label.split(':')[0]} is the hollow point.`);
  if (notes.length === 0) return null;
  return <ul className="lab-notes" data-testid="lab-notes">{notes.map((n) => <li key={n}>{n}</li>)}</ul>;
}

export function LabScreen() {
  const lab = useLabStore();
  const form = useAppStore((s) => s.form);
  const catalog = useCatalogStore((s) => s.info);
  const selectedCount = useCatalogStore((s) => s.selected.size);
  const [chart, setChart] = useState<uPlot | null>(null);
  const analysis = useMemo(() => analyseLab(lab.points), [lab.points]);
  const normal = useNormalRun();
  const runPoint = useMemo<RunPoint | null>(() => {
    const sp = normal ? runSpeedup(normal, analysis.base) : null;
    return normal && sp !== null ? { workers: normal.workers, speedup: sp, label: `${normal.label}: ${sp.toFixed(2)}×` } : null;
  }, [normal, analysis.base]);
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
            {analysis.fit && <span>Amdahl fit ({analysis.best?.label}): <b data-testid="lab-p">p = {analysis.fit.p.toFixed(3)}</b>, ceiling {Number.isFinite(analysis.fit.ceiling) ? `${analysis.fit.ceiling.toFixed(1)}×` : '∞'}</span>}
            {analysis.usl && (
              <span data-testid="lab-usl">
                USL: σ = {analysis.usl.sigma.toFixed(3)}, κ = {analysis.usl.kappa.toFixed(4)}, <b>N* {Number.isFinite(analysis.usl.peak) ? `≈ ${analysis.usl.peak.toFixed(1)}` : '= ∞'}</b>
                {Number.isFinite(analysis.usl.peak) ? ` (peak ${analysis.usl.peakSpeedup.toFixed(1)}×)` : ''}
              </span>
            )}
            {analysis.recommended !== null && <span>Recommended: <b data-testid="lab-recommended">{analysis.recommended} workers</b></span>}
            <button data-testid="lab-csv" onClick={() => downloadBlob('fanout-speedup.csv', new Blob([labCsv(analysis.csv)], { type: 'text/csv' }))}>Export CSV</button>
            <button data-testid="lab-png" disabled={!chart} onClick={exportPng}>Export PNG</button>
          </div>
          <LabVerdict analysis={analysis} run={runPoint} />
          <SpeedupChart series={analysis.series} fit={analysis.fit} usl={analysis.usl} run={runPoint} onChart={setChart} />
          {analysis.best && <EfficiencyChart rows={analysis.best.rows} />}
          <table className="lab-table" data-testid="lab-table">
            <thead><tr><th>strategy</th><th>scrub</th><th>workers</th><th>median</th><th>speedup</th><th>efficiency</th><th title="Karp–Flatt experimentally determined serial fraction">e(n)</th><th>done/failed</th></tr></thead>
            <tbody>
              {analysis.csv.map((r, i) => (
                <tr key={i}><td>{r.strategy}</td><td>{r.scrubExecutor}</td><td>{r.workers}</td><td>{formatDuration(r.medianMs)} ({Math.round(r.medianMs)} ms)</td><td>{Number.isFinite(r.speedup) ? `${r.speedup.toFixed(2)}×` : '–'}</td><td>{Number.isFinite(r.efficiency) ? `${(100 * r.efficiency).toFixed(0)}%` : '–'}</td><td>{r.karpFlatt !== undefined && Number.isFinite(r.karpFlatt) ? r.karpFlatt.toFixed(3) : '–'}</td><td>{r.itemsDone}/{r.itemsFailed}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
