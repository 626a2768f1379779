import type { LabKind } from '../../../../shared/ipc';
import { getApi } from '../../api/api';
import { useLabStore } from '../../stores/lab-store';

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

/** Whether any lab this window knows of is running (one at a time from this screen). */
export const useAnyLabRunning = () => useLabStore((s) => Object.values(s.runs).some((r) => r?.status === 'running'));

/** Run, Cancel, the status with cells done, and the lab's error. */
export function LabRunBar({ kind, disabled, onRun }: { kind: LabKind; disabled: boolean; onRun: () => void }) {
  const run = useLabStore((s) => s.runs[kind]);
  const busy = useAnyLabRunning();
  const status = run?.status ?? 'idle';
  return (
    <div className="actions">
      <button className="primary" data-testid="lab-run" disabled={busy || disabled} onClick={onRun}>Run the lab</button>
      {status === 'running' && run && <button className="danger" data-testid="lab-cancel" onClick={() => void getApi().cancelLab({ labId: run.labId })}>Cancel</button>}
      <span data-testid="lab-status">{status}{status === 'running' && run ? ` ${run.done}/${run.cells}` : ''}</span>
      {run?.error && <span className="error" data-testid="lab-error">{run.error}</span>}
    </div>
  );
}
