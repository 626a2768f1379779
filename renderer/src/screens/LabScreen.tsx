import { useMemo, useState } from 'react';
import type uPlot from 'uplot';
import { LAB_WORKER_COUNTS, type LabPoint } from '../../../shared/ipc';
import { STRATEGIES, type Strategy } from '../../../shared/strategy';
import { getApi } from '../api/api';
import { SpeedupChart, type SpeedupSeries } from '../charts/SpeedupChart';
import { formatDuration, idsToRanges } from '../lib/format';
import { fitAmdahl, labCsv, recommendWorkers, speedupTable, type LabCsvRow } from '../lib/speedup';
import { describeError, setError, useAppStore } from '../stores/app-store';
import { useCatalogStore } from '../stores/catalog-store';
import { useLabStore } from '../stores/lab-store';

function download(name: string, blob: Blob) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

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
      csv.push({ ...p, speedup: r.speedup, efficiency: r.efficiency });
    }
  }
  for (const p of points.filter((x) => x.scrubExecutor === 'processes')) {
    const base = points.find((x) => x.strategy === p.strategy && x.workers === p.workers && x.scrubExecutor === 'threads');
    csv.push({ ...p, speedup: base ? base.medianMs / p.medianMs : NaN, efficiency: NaN });
  }
  const best = series.reduce<SpeedupSeries | null>((a, b) => (!a || Math.max(...b.rows.map((r) => r.speedup)) > Math.max(...a.rows.map((r) => r.speedup)) ? b : a), null);
  const fit = best ? fitAmdahl(best.rows) : null;
  return { series, csv, best, fit, recommended: best ? recommendWorkers(best.rows) : null };
}

export function LabScreen() {
  const lab = useLabStore();
  const form = useAppStore((s) => s.form);
  const catalog = useCatalogStore((s) => s.info);
  const selectedCount = useCatalogStore((s) => s.selected.size);
  const [chart, setChart] = useState<uPlot | null>(null);
  const analysis = useMemo(() => analyseLab(lab.points), [lab.points]);

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
    canvas?.toBlob((b) => b && download('fanout-speedup.png', b), 'image/png');
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
            {analysis.recommended !== null && <span>Recommended: <b data-testid="lab-recommended">{analysis.recommended} workers</b></span>}
            <button data-testid="lab-csv" onClick={() => download('fanout-speedup.csv', new Blob([labCsv(analysis.csv)], { type: 'text/csv' }))}>Export CSV</button>
            <button data-testid="lab-png" disabled={!chart} onClick={exportPng}>Export PNG</button>
          </div>
          <SpeedupChart series={analysis.series} fit={analysis.fit} onChart={setChart} />
          <table className="lab-table" data-testid="lab-table">
            <thead><tr><th>strategy</th><th>scrub</th><th>workers</th><th>median</th><th>speedup</th><th>efficiency</th><th>done/failed</th></tr></thead>
            <tbody>
              {analysis.csv.map((r, i) => (
                <tr key={i}><td>{r.strategy}</td><td>{r.scrubExecutor}</td><td>{r.workers}</td><td>{formatDuration(r.medianMs)} ({Math.round(r.medianMs)} ms)</td><td>{Number.isFinite(r.speedup) ? `${r.speedup.toFixed(2)}×` : '–'}</td><td>{Number.isFinite(r.efficiency) ? `${(100 * r.efficiency).toFixed(0)}%` : '–'}</td><td>{r.itemsDone}/{r.itemsFailed}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
