/**
 * History → Verify: which run is being verified and the last report. Kept in a store, not in the
 * History screen's state, so that going to another screen and back neither loses the report nor
 * offers a second Verify while one runs (a verify of a big corpus takes minutes). A page reloaded or
 * reconnected mid-verify asks the host (`verify:state`) and re-attaches: `verify:run` of a run being
 * verified answers that verify's report.
 */
import { create } from 'zustand';
import type { VerifyEnd } from '../../../shared/ipc';
import { withKnownReasons, type VerifyReport } from '../../../shared/verify-report';
import { getApi } from '../api/api';
import { describeError, setError } from './app-store';

export interface VerifyState {
  /** The run being verified, or null. */
  verifying: string | null;
  verified: { jobId: string; report: VerifyReport } | null;
}

export const useVerifyStore = create<VerifyState>(() => ({ verifying: null, verified: null }));

/** Whether this page's verify call waits for its reply. */
let waiting = false;

function showEnd(end: VerifyEnd): void {
  // The report crossed from the host: a problem's `reason` this build does not know is dropped (read as unknown).
  if ('report' in end) useVerifyStore.setState({ verifying: null, verified: { jobId: end.jobId, report: withKnownReasons(end.report) } });
  else {
    useVerifyStore.setState({ verifying: null });
    setError(describeError(end.error));
  }
}

/** Verifies a past run's output against its own records (or joins its verify running on the host); a refusal or failure goes to the banner. */
export async function verifyRun(jobId: string): Promise<void> {
  if (waiting) return;
  waiting = true;
  useVerifyStore.setState({ verifying: jobId });
  try {
    showEnd({ jobId, report: await getApi().verifyRun({ jobId }) });
  } catch (err) {
    // The connection dropped, not the verify: it goes on in the host; `syncVerify` takes it up when back.
    if ((err as { code?: unknown } | null)?.code === 'CONNECTION_RESET') return;
    useVerifyStore.setState({ verifying: null });
    setError(describeError(err));
  } finally {
    waiting = false;
  }
}

/** At load and reconnect: a verify the host runs is shown and joined; one this page showed that ended meanwhile shows its end. */
export async function syncVerify(): Promise<void> {
  const host = await getApi().verifyState({});
  if (waiting) return;
  const shown = useVerifyStore.getState().verifying;
  const running = host.running.find((r) => r.jobId === shown) ?? (shown === null ? host.running[0] : undefined);
  if (running) {
    void verifyRun(running.jobId);
    return;
  }
  if (shown === null) return;
  const end = host.finished.findLast((f) => f.jobId === shown);
  if (end) showEnd(end);
  else {
    useVerifyStore.setState({ verifying: null });
    setError('The verify was interrupted: the Fanout host no longer runs it (it was restarted?). Verify again.');
  }
}
