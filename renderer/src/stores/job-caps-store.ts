import { create } from 'zustand';
import { parseByteRate, parseDuration } from '../../../shared/byte-rate';

/**
 * The Gutenberg job's network manners as typed in the form: the bandwidth cap ("2M") and the wait
 * between requests ("2s"), empty for none. One store, read by the job form and by the lab (whose
 * Gutenberg and queue cells run under them, as `fanout lab gutenberg --limit-rate/--wait`).
 */
export interface JobCaps {
  limitRate: string;
  wait: string;
}

export const useJobCapsStore = create<JobCaps>(() => ({ limitRate: '', wait: '' }));

export const setLimitRate = (limitRate: string) => useJobCapsStore.setState({ limitRate });
export const setWait = (wait: string) => useJobCapsStore.setState({ wait });

/**
 * The spec fields of the typed caps: absent when empty; a value that does not parse becomes -1, so
 * the host's check refuses it under its field (the form shows the problem, nothing starts).
 */
export function capsSpecFields(caps: JobCaps): { limitRate?: number; waitMs?: number } {
  return {
    ...(caps.limitRate.trim() ? { limitRate: parseByteRate(caps.limitRate) ?? -1 } : {}),
    ...(caps.wait.trim() ? { waitMs: parseDuration(caps.wait) ?? -1 } : {}),
  };
}
