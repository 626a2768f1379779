/**
 * Closing the window (or quitting) while a job or a lab runs stops it: main asks first. The
 * decision and its words are here, Electron-free, so they are unit-tested; index.ts shows them in a
 * native message box and keeps the window open unless the person chooses to stop.
 */
import type { ActiveJob, ActiveLab } from '../../shared/ipc';

export interface CloseQuestion {
  message: string;
  detail: string;
  /** Button labels: [stop and close, keep running]; the second is the default and Escape's. */
  buttons: [string, string];
}

/** What to ask before the window closes, or null when nothing runs. */
export function closeQuestion(jobs: readonly ActiveJob[], labs: readonly ActiveLab[]): CloseQuestion | null {
  if (jobs.length === 0 && labs.length === 0) return null;
  const job = jobs[0];
  const lab = labs[0];
  const what = job ? `A ${job.kind === 'mail' ? 'mail' : 'Gutenberg'} job is running${job.paused ? ' (paused)' : ''}` : `A lab is running (${lab!.lab}, ${lab!.done}/${lab!.cells} cells)`;
  const detail = job
    ? `Closing Fanout cancels it. What is done stays in ${job.outDir ?? 'its output folder'}; starting the same job again finishes the rest.`
    : 'Closing Fanout cancels it; its results so far are lost.';
  return { message: `${what}. Stop it and close Fanout?`, detail, buttons: [job ? 'Stop the job and close' : 'Stop the lab and close', 'Keep it running'] };
}

/**
 * Whether to go on closing: true when nothing runs or the person chose to stop. `ask` shows the
 * question and answers the index of the button chosen (dialog.showMessageBoxSync).
 */
export function confirmClose(jobs: readonly ActiveJob[], labs: readonly ActiveLab[], ask: (q: CloseQuestion) => number): boolean {
  const q = closeQuestion(jobs, labs);
  return q === null || ask(q) === 0;
}
