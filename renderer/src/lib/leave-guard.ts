/**
 * The browser page's "Leave site?" while the host runs something (web host only). Closing or
 * reloading the page does not stop a job (the host runs it), but a person closing the tab may think
 * it does, or lose the only view of it: the browser asks first. Electron's window asks in main
 * (electron/main/close-guard.ts): there a beforeunload handler would cancel the close without a word.
 */
import { useActiveJobs } from '../stores/active-jobs';
import { useLabStore } from '../stores/lab-store';
import { useRunStore } from '../stores/run-store';

/** What the page knows runs on the host. */
export interface PageActivity {
  /** Jobs the host runs (active-jobs store). */
  jobIds: readonly string[];
  /** The live view's run: its status, and whether it is a replay of a past run. */
  runStatus: string;
  replay: boolean;
  /** Labs running: this page's runs' statuses and labs started before it was loaded. */
  labStatuses: readonly string[];
  foreignLabs: number;
}

/** Whether leaving the page should be confirmed: a job or a lab runs (pure). */
export function shouldConfirmLeave(a: PageActivity): boolean {
  const ownRun = !a.replay && (a.runStatus === 'running' || a.runStatus === 'paused');
  return a.jobIds.length > 0 || ownRun || a.labStatuses.includes('running') || a.foreignLabs > 0;
}

function pageActivity(): PageActivity {
  const run = useRunStore.getState();
  const lab = useLabStore.getState();
  return {
    jobIds: useActiveJobs.getState().ids,
    runStatus: run.status,
    replay: run.replay,
    labStatuses: Object.values(lab.runs).map((r) => r?.status ?? 'idle'),
    foreignLabs: Object.keys(lab.foreign).length,
  };
}

/** The part of a beforeunload event used here (typed without the DOM library: the unit tests import this file in node). */
interface LeaveEvent {
  preventDefault(): void;
  returnValue: unknown;
}

/** The part of the page's window used here. */
interface LeaveTarget {
  addEventListener(type: 'beforeunload', fn: (e: LeaveEvent) => void): void;
  removeEventListener(type: 'beforeunload', fn: (e: LeaveEvent) => void): void;
}

/** Installs the prompt on `target` (the page's window); returns its removal. */
export function installLeaveGuard(target: LeaveTarget): () => void {
  const onBeforeUnload = (e: LeaveEvent) => {
    if (!shouldConfirmLeave(pageActivity())) return;
    // Both, for the browsers that honour one or the other; the text itself is the browser's own.
    e.preventDefault();
    e.returnValue = true;
  };
  target.addEventListener('beforeunload', onBeforeUnload);
  return () => target.removeEventListener('beforeunload', onBeforeUnload);
}
