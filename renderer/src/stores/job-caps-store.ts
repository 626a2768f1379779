import { create } from 'zustand';
import { parseByteRate, parseDuration } from '../../../shared/byte-rate';
import { limitSpecFields, type ConnectionLimits } from '../lib/connection-limits';

/**
 * The Gutenberg job's network manners as typed in the form: the bandwidth cap ("2M"), the wait
 * between requests ("2s"), the connections per server and the per-book timeout, empty for none. One
 * store, read by the job form and by the lab (whose Gutenberg, queue and stragglers cells run under
 * them, as `fanout lab gutenberg --limit-rate/--wait/--max-per-host/--item-timeout`).
 */
export interface JobCaps extends ConnectionLimits {
  limitRate: string;
  wait: string;
}

export const useJobCapsStore = create<JobCaps>(() => ({ limitRate: '', wait: '', maxPerHost: '', itemTimeout: '' }));

export const setLimitRate = (limitRate: string) => useJobCapsStore.setState({ limitRate });
export const setWait = (wait: string) => useJobCapsStore.setState({ wait });
export const setConnectionLimits = (limits: ConnectionLimits) => useJobCapsStore.setState({ maxPerHost: limits.maxPerHost, itemTimeout: limits.itemTimeout });

/**
 * The spec fields of the typed caps: absent when empty; a value that does not parse becomes -1, so
 * the host's check refuses it under its field (the form shows the problem, nothing starts).
 */
export function capsSpecFields(caps: JobCaps): { limitRate?: number; waitMs?: number; maxPerHost?: number; itemTimeoutMs?: number } {
  return {
    ...(caps.limitRate.trim() ? { limitRate: parseByteRate(caps.limitRate) ?? -1 } : {}),
    ...(caps.wait.trim() ? { waitMs: parseDuration(caps.wait) ?? -1 } : {}),
    ...limitSpecFields(caps),
  };
}
