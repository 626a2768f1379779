import type { LabRunInput } from '../../../../shared/ipc';
import { getApi } from '../../api/api';
import { describeError, setError } from '../../stores/app-store';
import { useLabStore } from '../../stores/lab-store';

/** Starts a lab on the host; a refusal (bad input, a folder in use) goes to the error banner. */
export async function startLab(req: LabRunInput): Promise<void> {
  setError(null);
  try {
    const { labId } = await getApi().runLab(req);
    useLabStore.setState({ labId });
  } catch (err) {
    setError(`Could not start the lab: ${describeError(err)}`);
  }
}
