import { useMemo } from 'react';
import { LAB_STRAGGLER_TIMEOUTS } from '../../../../shared/ipc';
import { timeoutName } from '../../../../shared/lab/straggler-analysis';
import { STRATEGIES, type Strategy } from '../../../../shared/strategy';
import { stragglerLabRequest } from '../../lib/lab-requests';
import { labResult } from '../../lib/lab-results';
import { useCatalogStore } from '../../stores/catalog-store';
import { setLabConfig, toggleIn, useLabStore } from '../../stores/lab-store';
import { JobCapsFields } from './JobCapsFields';
import { CheckGroup, LabRunBar, NumberField } from './LabControls';
import { StragglerResults } from './StragglerResults';
import { startLab } from './start-lab';
import { gutenbergSource, useSampleLine } from './use-gutenberg-source';

/** One request per book, with or without a timeout (adaptive pipelines batches only without one). */
const ONE_REQUEST_STRATEGIES = STRATEGIES.filter((s) => s !== 'adaptive');
const name = (t: number | null) => timeoutName(t).replace(' ', '');

/** The stragglers lab: the sample once per per-item timeout (`fanout lab stragglers`): total time and item latency percentiles. */
export function StragglerLabPanel() {
  const c = useLabStore((s) => s.configs.stragglers);
  const run = useLabStore((s) => s.runs.stragglers);
  const catalog = useCatalogStore((s) => s.info);
  const sample = useSampleLine(c.sampleSize);
  const result = useMemo(() => (run && run.points.length > 0 ? labResult('stragglers', run.points, run.context) : null), [run]);
  return (
    <div data-testid="lab-panel-stragglers">
      <p className="muted">Runs a sample of the Gutenberg job ({sample}) once per per-item timeout, each into a fresh folder: a timeout cuts an attempt at a book not done in time, and the book is asked for again on another connection.</p>
      <div className="form-grid">
        <CheckGroup legend="Per-item timeouts" all={LAB_STRAGGLER_TIMEOUTS} chosen={c.timeouts} testId="lab-timeout" name={name} onToggle={(t) => setLabConfig('stragglers', { timeouts: toggleIn(c.timeouts, t, LAB_STRAGGLER_TIMEOUTS) })} />
        <NumberField label="Workers" testId="lab-straggler-workers" min={1} max={64} value={c.workers} onChange={(workers) => setLabConfig('stragglers', { workers })} />
        <label>Strategy<select data-testid="lab-straggler-strategy" value={c.strategy} onChange={(e) => setLabConfig('stragglers', { strategy: e.target.value as Strategy })}>{ONE_REQUEST_STRATEGIES.map((s) => <option key={s} value={s}>{s}</option>)}</select></label>
        <NumberField label="Sample size" testId="lab-sample" min={1} max={2000} value={c.sampleSize} onChange={(sampleSize) => setLabConfig('stragglers', { sampleSize })} />
        <NumberField label="Repeats" testId="lab-repeats" min={1} max={9} value={c.repeats} onChange={(repeats) => setLabConfig('stragglers', { repeats })} />
        <JobCapsFields />
      </div>
      <LabRunBar kind="stragglers" disabled={!catalog || c.timeouts.length === 0} onRun={() => void startLab(stragglerLabRequest(gutenbergSource(), c))} />
      {result?.type === 'stragglers' && <StragglerResults analysis={result.analysis} files={result.files} />}
    </div>
  );
}
