import type { LabKind } from '../../../../shared/ipc';
import { getApi } from '../../api/api';
import { labPlanLine } from '../../lib/lab-requests';
import { useActiveJobs } from '../../stores/active-jobs';
import { useLabStore } from '../../stores/lab-store';
import { useRunStore } from '../../stores/run-store';
import { RunsOnHost } from '../RunsOnHost';

/** A row of checkboxes for a grid axis (strategies, worker counts, executors, bounds). */
export function CheckGroup<T extends string | number | null>({ legend, all, chosen, testId, name = String, onToggle }: { legend: string; all: readonly T[]; chosen: readonly T[]; testId: string; name?: (x: T) => string; onToggle: (x: T) => void }) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {all.map((x) => (
        <label key={String(x)} className="check"><input type="checkbox" data-testid={`${testId}-${name(x)}`} checked={chosen.includes(x)} onChange={() => onToggle(x)} />{name(x)}</label>
      ))}
    </fieldset>
  );
}

/** A whole number within bounds, typed in a number field. */
export function NumberField({ label, value, min, max, testId, onChange }: { label: string; value: number; min: number; max: number; testId?: string; onChange: (n: number) => void }) {
  return <label>{label}<input type="number" data-testid={testId} min={min} max={max} value={value} onChange={(e) => onChange(Math.max(min, Math.min(max, Math.round(Number(e.target.value)) || min)))} /></label>;
}

/** Whether any lab this window knows of is running (one at a time from this screen), one started before a reload included. */
export const useAnyLabRunning = () => useLabStore((s) => s.starting !== null || Object.values(s.runs).some((r) => r?.status === 'running') || Object.keys(s.foreign).length > 0);

/** Whether a job runs (this page's or another's): its traffic and CPU would be in a lab's timings. */
export const useJobRunning = () => {
  const own = useRunStore((s) => !s.replay && (s.status === 'running' || s.status === 'paused'));
  const any = useActiveJobs((s) => s.ids.length > 0);
  return own || any;
};

/** Run, what it will run (runs, cells × repeats: its cost before it is clicked), Cancel, the status with cells done, and the lab's error. */
export function LabRunBar({ kind, disabled, onRun }: { kind: LabKind; disabled: boolean; onRun: () => void }) {
  const run = useLabStore((s) => s.runs[kind]);
  const busy = useAnyLabRunning();
  const jobRunning = useJobRunning();
  const foreignLabs = useLabStore((s) => s.foreign);
  const foreign = Object.entries(foreignLabs)[0];
  const starting = useLabStore((s) => s.starting === kind);
  const status = starting ? 'starting' : (run?.status ?? 'idle');
  const plan = useLabStore((s) => labPlanLine(kind, s.configs));
  return (
    <div className="actions">
      <button className="primary" data-testid="lab-run" disabled={busy || jobRunning || disabled} onClick={onRun}>Run the lab</button>
      <span className="muted" data-testid="lab-plan">{plan}</span>
      {jobRunning && <span className="muted" data-testid="lab-blocked">A job is running: its traffic and CPU would be in the lab&apos;s timings. Let it end, or cancel it, then run the lab.</span>}
      {foreign && (
        <span data-testid="lab-foreign">
          A lab started before this page was loaded is running ({foreign[1].done}/{foreign[1].cells} cells).{' '}
          <button className="danger" data-testid="lab-foreign-cancel" onClick={() => void getApi().cancelLab({ labId: foreign[0] })}>Cancel it</button>
        </span>
      )}
      {status === 'running' && run && <button className="danger" data-testid="lab-cancel" onClick={() => void getApi().cancelLab({ labId: run.labId })}>Cancel</button>}
      <span data-testid="lab-status">{status}{status === 'running' && run ? ` ${run.done}/${run.cells}` : ''}</span>
      {run?.error && <span className="error" data-testid="lab-error">{run.error}</span>}
      {(status === 'running' || foreign) && <RunsOnHost what="lab" />}
    </div>
  );
}
