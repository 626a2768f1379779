import { checkByteRate, parseDuration } from '../../../../shared/byte-rate';
import { setLimitRate, setWait, useJobCapsStore } from '../../stores/job-caps-store';

/**
 * The job's bandwidth cap and wait between requests, the same values as the Gutenberg form's (one
 * store): every cell of a Gutenberg or queue lab runs under them, like `--limit-rate`/`--wait`.
 */
export function JobCapsFields() {
  const { limitRate, wait } = useJobCapsStore();
  const rateProblem = limitRate.trim() ? checkByteRate(limitRate.trim()) : null;
  const waitProblem = wait.trim() && parseDuration(wait) === null ? 'write e.g. 2s, 500ms or 1m' : null;
  return (
    <>
      <label title="For each cell's job, all connections together: bytes per second, k = 1024 (500k, 2M)">
        Bandwidth cap
        <input data-testid="lab-limit-rate" size={8} value={limitRate} placeholder="none (e.g. 2M)" aria-invalid={rateProblem ? true : undefined} onChange={(e) => setLimitRate(e.target.value)} />
        {rateProblem && <span className="error">{rateProblem}</span>}
      </label>
      <label title="All workers together, randomised 0.5–1.5×">
        Wait between requests
        <input data-testid="lab-wait" size={6} value={wait} placeholder="none (e.g. 2s)" aria-invalid={waitProblem ? true : undefined} onChange={(e) => setWait(e.target.value)} />
        {waitProblem && <span className="error">{waitProblem}</span>}
      </label>
    </>
  );
}
