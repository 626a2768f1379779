import type { LabRunInput } from '../../../../shared/ipc';
import { getApi } from '../../api/api';
import { describeError, setError } from '../../stores/app-store';
import { resyncIfBusy } from '../../stores/host-sync';

/** Starts a lab on the host; a refusal (bad input, a folder in use) goes to the error banner. */
export async function startLab(req: LabRunInput): Promise<void> {
  setError(null);
  try {
    // Its events (lab:started, points, finished) fill the store; the reply's id is in them.
    await getApi().runLab(req);
  } catch (err) {
    setError(`Could not start the lab: ${describeError(err)}`);
    resyncIfBusy(err);
  }
}
