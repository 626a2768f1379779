import { useMemo } from 'react';
import { LAB_WORKER_COUNTS } from '../../../../shared/ipc';
import type { ScrubExecutor } from '../../../../shared/job-spec';
import { scrubInput, scrubLabRequest } from '../../lib/lab-requests';
import { labResult } from '../../lib/lab-results';
import { useAppStore } from '../../stores/app-store';
import { setLabConfig, toggleIn, useLabStore } from '../../stores/lab-store';
import { startLab } from './start-lab';
import { CheckGroup, LabRunBar, NumberField } from './LabControls';
import { SpeedupResults } from './SpeedupResults';

const EXECUTORS: readonly ScrubExecutor[] = ['threads', 'processes'];

/** The scrub lab: the same raw books cleaned in N threads and in N child processes (`fanout lab scrub`), the CPU-bound stage. */
export function ScrubLabPanel() {
  const c = useLabStore((s) => s.configs.scrub);
  const run = useLabStore((s) => s.runs.scrub);
  const outDir = useAppStore((s) => s.form.outDir);
  const input = scrubInput(c, outDir);
  const result = useMemo(() => (run && run.points.length > 0 ? labResult('scrub', run.points, run.context) : null), [run]);
  return (
    <div data-testid="lab-panel-scrub">
      <p className="muted">Cleans the same books (the first {c.sampleSize} .txt files under the folder) with a fresh pool per cell: worker threads and child processes, at each worker count{run?.context ? `, on this host's ${run.context.cores} cores` : ''}.</p>
      <div className="form-grid">
        <label className="wide">
          Raw books folder
          <input data-testid="lab-scrub-input" value={c.input} placeholder={input || '/path/to/raw books'} onChange={(e) => setLabConfig('scrub', { input: e.target.value })} />
        </label>
        <CheckGroup legend="Executors" all={EXECUTORS} chosen={c.executors} testId="lab-executor" onToggle={(x) => setLabConfig('scrub', { executors: toggleIn(c.executors, x, EXECUTORS) })} />
        <CheckGroup legend="Workers" all={LAB_WORKER_COUNTS} chosen={c.workerCounts} testId="lab-workers" onToggle={(n) => setLabConfig('scrub', { workerCounts: toggleIn(c.workerCounts, n, LAB_WORKER_COUNTS) })} />
        <NumberField label="Sample size" testId="lab-sample" min={1} max={100_000} value={c.sampleSize} onChange={(sampleSize) => setLabConfig('scrub', { sampleSize })} />
        <NumberField label="Repeats" testId="lab-repeats" min={1} max={9} value={c.repeats} onChange={(repeats) => setLabConfig('scrub', { repeats })} />
      </div>
      <LabRunBar kind="scrub" disabled={!input || c.executors.length === 0 || c.workerCounts.length === 0} onRun={() => void startLab(scrubLabRequest(c, outDir))} />
      {result?.type === 'speedup' && <SpeedupResults kind="scrub" analysis={result.analysis} files={result.files} />}
    </div>
  );
}
