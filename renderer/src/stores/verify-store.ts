/**
 * History → Verify: which run is being verified and the last report. Kept in a store, not in the
 * History screen's state, so that going to another screen and back neither loses the report nor
 * offers a second Verify while one runs (a verify of a big corpus takes minutes).
 */
import { create } from 'zustand';
import type { VerifyReport } from '../../../shared/verify-report';
import { getApi } from '../api/api';
import { describeError, setError } from './app-store';

export interface VerifyState {
  /** The run being verified, or null. */
  verifying: string | null;
  verified: { jobId: string; report: VerifyReport } | null;
}

export const useVerifyStore = create<VerifyState>(() => ({ verifying: null, verified: null }));

/** Verifies a past run's output against its own records; a refusal or failure goes to the banner. */
export async function verifyRun(jobId: string): Promise<void> {
  if (useVerifyStore.getState().verifying !== null) return;
  useVerifyStore.setState({ verifying: jobId });
  try {
    const report = await getApi().verifyRun({ jobId });
    useVerifyStore.setState({ verified: { jobId, report } });
  } catch (err) {
    setError(describeError(err));
  } finally {
    useVerifyStore.setState({ verifying: null });
  }
}
