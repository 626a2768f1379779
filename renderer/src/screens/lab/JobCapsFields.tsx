import { checkByteRate, parseDuration } from '../../../../shared/byte-rate';
import { checkMaxPerHost } from '../../../../shared/input-checks';
import { setConnectionLimits, setLimitRate, setWait, useJobCapsStore } from '../../stores/job-caps-store';

/**
 * The job's bandwidth cap, wait between requests and connections per server, the same values as the
 * Gutenberg form's (one store): every cell of a Gutenberg, queue or stragglers lab runs under them,
 * like `--limit-rate`/`--wait`/`--max-per-host` (and the form's per-book timeout, except in the
 * stragglers lab, whose grid stands for it).
 */
export function JobCapsFields() {
  const { limitRate, wait, maxPerHost, itemTimeout } = useJobCapsStore();
  const perHostProblem = maxPerHost.trim() ? checkMaxPerHost(maxPerHost) : null;
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
      <label title="At most this many connections to the mirror's server in each cell; a grid past it flattens there">
        Connections per server
        <input data-testid="lab-max-per-host" size={4} value={maxPerHost} placeholder="workers" aria-invalid={perHostProblem ? true : undefined} onChange={(e) => setConnectionLimits({ maxPerHost: e.target.value, itemTimeout })} />
        {perHostProblem && <span className="error">{perHostProblem}</span>}
      </label>
    </>
  );
}
