import type { JobSummary } from '../../shared/events';

/**
 * Exit codes: 0 all done, 1 some items failed (or the server failed the job), 2 bad input (refused
 * by the input check, or a job stopped because what was given is wrong: a mirror URL that is no
 * Gutenberg root), 130 cancelled (Ctrl-C).
 */
export const EXIT = { ok: 0, failures: 1, badInput: 2, cancelled: 130 } as const;

/** The job stopped on its input (its one job error is BAD_INPUT: `fanout gutenberg` on a wrong mirror root), not on the server or its books. */
export function stoppedOnBadInput(summary: JobSummary): boolean {
  return summary.status === 'failed' && summary.failures.some((f) => f.item === '(job)' && f.error.code === 'BAD_INPUT');
}
