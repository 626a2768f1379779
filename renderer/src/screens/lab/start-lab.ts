import type { LabRunInput } from '../../../../shared/ipc';
import { getApi } from '../../api/api';
import { describeError, setError } from '../../stores/app-store';
import { resyncIfBusy } from '../../stores/host-sync';
import { useLabStore } from '../../stores/lab-store';

/** Starts a lab on the host; a refusal (bad input, a folder in use) goes to the error banner. */
export async function startLab(req: LabRunInput): Promise<void> {
  setError(null);
  // Shown as starting at once: until lab:started comes, the panel would show the last run's status
  // and results as if they were this run's.
  useLabStore.setState({ starting: req.kind ?? 'gutenberg' });
  try {
    // Its events (lab:started, points, finished) fill the store; the reply's id is in them.
    await getApi().runLab(req);
  } catch (err) {
    useLabStore.setState({ starting: null });
    setError(`Could not start the lab: ${describeError(err)}`);
    resyncIfBusy(err);
  }
}
