import { useMemo } from 'react';
import { LAB_QUEUE_BOUNDS } from '../../../../shared/ipc';
import { STRATEGIES, type Strategy } from '../../../../shared/strategy';
import { queueLabRequest } from '../../lib/lab-requests';
import { labResult } from '../../lib/lab-results';
import { useCatalogStore } from '../../stores/catalog-store';
import { setLabConfig, toggleIn, useLabStore } from '../../stores/lab-store';
import { startLab } from './start-lab';
import { JobCapsFields } from './JobCapsFields';
import { CheckGroup, LabRunBar, NumberField } from './LabControls';
import { QueueResults } from './QueueResults';
import { gutenbergSource, useSampleLine } from './use-gutenberg-source';

const boundName = (b: number | null) => (b === null ? 'unbounded' : String(b));

/** The queue lab: the sample once per bound between download and clean (`fanout lab queue`): throughput, peak memory, blocked time. */
export function QueueLabPanel() {
  const c = useLabStore((s) => s.configs.queue);
  const run = useLabStore((s) => s.runs.queue);
  const catalog = useCatalogStore((s) => s.info);
  const sample = useSampleLine(c.sampleSize);
  const result = useMemo(() => (run && run.points.length > 0 ? labResult('queue', run.points, run.context) : null), [run]);
  return (
    <div data-testid="lab-panel-queue">
      <p className="muted">Runs a sample of the Gutenberg job ({sample}) once per bound on the books downloaded and not yet cleaned, each into a fresh folder; memory is the host process&apos;s.</p>
      <div className="form-grid">
        <CheckGroup legend="Queue bounds (books)" all={LAB_QUEUE_BOUNDS} chosen={c.bounds} testId="lab-bound" name={boundName} onToggle={(b) => setLabConfig('queue', { bounds: toggleIn(c.bounds, b, LAB_QUEUE_BOUNDS) })} />
        <NumberField label="Download workers" testId="lab-queue-workers" min={1} max={64} value={c.workers} onChange={(workers) => setLabConfig('queue', { workers })} />
        <label>Strategy<select data-testid="lab-queue-strategy" value={c.strategy} onChange={(e) => setLabConfig('queue', { strategy: e.target.value as Strategy })}>{STRATEGIES.map((s) => <option key={s} value={s}>{s}</option>)}</select></label>
        <NumberField label="Sample size" testId="lab-sample" min={1} max={2000} value={c.sampleSize} onChange={(sampleSize) => setLabConfig('queue', { sampleSize })} />
        <NumberField label="Repeats" testId="lab-repeats" min={1} max={9} value={c.repeats} onChange={(repeats) => setLabConfig('queue', { repeats })} />
        <JobCapsFields />
      </div>
      <LabRunBar kind="queue" disabled={!catalog || c.bounds.length === 0} onRun={() => void startLab(queueLabRequest(gutenbergSource(), c))} />
      {result?.type === 'queue' && <QueueResults analysis={result.analysis} files={result.files} />}
    </div>
  );
}
