import { useMemo } from 'react';
import { LAB_WORKER_COUNTS } from '../../../../shared/ipc';
import { STRATEGIES } from '../../../../shared/strategy';
import type { RunPoint } from '../../charts/SpeedupChart';
import { gutenbergLabRequest } from '../../lib/lab-requests';
import { labResult, placeNormalRun } from '../../lib/lab-results';
import { useAppStore } from '../../stores/app-store';
import { useCatalogStore } from '../../stores/catalog-store';
import { setLabConfig, toggleIn, useLabStore } from '../../stores/lab-store';
import { startLab } from './start-lab';
import { JobCapsFields } from './JobCapsFields';
import { CheckGroup, LabRunBar, NumberField } from './LabControls';
import { SpeedupResults } from './SpeedupResults';
import { gutenbergSource, useSampleLine } from './use-gutenberg-source';
import { useNormalRun } from './use-normal-run';

/** The Gutenberg lab: the sample under strategies × workers (`fanout lab gutenberg`), the normal run placed on its curves. */
export function GutenbergLabPanel() {
  const c = useLabStore((s) => s.configs.gutenberg);
  const run = useLabStore((s) => s.runs.gutenberg);
  const catalog = useCatalogStore((s) => s.info);
  const sample = useSampleLine(c.sampleSize);
  const result = useMemo(() => (run && run.points.length > 0 ? labResult('gutenberg', run.points, run.context) : null), [run]);
  const normal = useNormalRun();
  const oneWorker = result?.type === 'speedup' ? result.analysis.oneWorker : null;
  const labCap = run?.context.rateCap ?? null;
  // The lab's mirror: its context's (redacted by the host; an older host's has none), else the form's, which it was started from.
  const formMirror = useAppStore((s) => s.form.mirror);
  const labMirror = run?.context.mirror ?? (formMirror.trim() || undefined);
  const placed = useMemo(() => placeNormalRun(normal, oneWorker, labCap, labMirror), [normal, oneWorker, labCap, labMirror]);
  const runPoint: RunPoint | null = placed.point;
  const runNote = result?.type !== 'speedup' ? [] : placed.note ? [placed.note] : runPoint && result.analysis.recommended !== null
    ? [runPoint.workers > result.analysis.recommended ? `The ${runPoint.label.split(':')[0]} uses more workers than recommended (${result.analysis.recommended}).` : `The ${runPoint.label.split(':')[0]} is the hollow point.`]
    : [];
  return (
    <div data-testid="lab-panel-gutenberg">
      <p className="muted">Runs a sample of the Gutenberg job ({sample}) under each strategy and worker count, each into a fresh folder, under the job&apos;s cap and wait.</p>
      <div className="form-grid">
        <CheckGroup legend="Strategies" all={STRATEGIES} chosen={c.strategies} testId="lab-strategy" onToggle={(s) => setLabConfig('gutenberg', { strategies: toggleIn(c.strategies, s, STRATEGIES) })} />
        <CheckGroup legend="Workers" all={LAB_WORKER_COUNTS} chosen={c.workerCounts} testId="lab-workers" onToggle={(n) => setLabConfig('gutenberg', { workerCounts: toggleIn(c.workerCounts, n, LAB_WORKER_COUNTS) })} />
        <NumberField label="Sample size" testId="lab-sample" min={1} max={2000} value={c.sampleSize} onChange={(sampleSize) => setLabConfig('gutenberg', { sampleSize })} />
        <NumberField label="Repeats" testId="lab-repeats" min={1} max={9} value={c.repeats} onChange={(repeats) => setLabConfig('gutenberg', { repeats })} />
        <label className="check"><input type="checkbox" checked={c.compareScrubExecutors} onChange={(e) => setLabConfig('gutenberg', { compareScrubExecutors: e.target.checked })} />Compare scrub threads vs processes</label>
        <JobCapsFields />
      </div>
      <LabRunBar kind="gutenberg" disabled={!catalog || c.strategies.length === 0 || c.workerCounts.length === 0} onRun={() => void startLab(gutenbergLabRequest(gutenbergSource(), c))} />
      {result?.type === 'speedup' && <SpeedupResults kind="gutenberg" analysis={result.analysis} files={result.files} run={runPoint} extraNotes={runNote} />}
    </div>
  );
}
