import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../../electron/cli/progress-display';
import type { JobSummary } from '../../../shared/events';

const summary = (over: Partial<JobSummary>): JobSummary => ({
  jobId: 'j', kind: 'gutenberg', strategy: 'adaptive', workers: 4, status: 'succeeded',
  itemsTotal: 6, itemsDone: 6, itemsFailed: 0, itemsSkipped: 0, bytes: 1000, wallMs: 1000, throughput: 1000,
  workerBusy: [0.5], failures: [], outDir: '/out', startedAt: '2026-01-01T00:00:00Z', ...over,
});

describe('the CLI summary headline', () => {
  it('adds up to the total when the job ran to its end', () => {
    expect(formatSummary(summary({ itemsDone: 3, itemsSkipped: 2, itemsFailed: 1, status: 'failed' })).split('\n')[0]).toBe('FAILED: 3 books done, 2 already complete, 1 failed (of 6)');
  });

  it('a cancelled or stopped job says how many are left for a re-run, so the numbers add up', () => {
    // Before: 'CANCELLED: 2 books done, 0 already complete, 0 failed (of 6)': where are the other 4?
    expect(formatSummary(summary({ status: 'cancelled', itemsDone: 2 })).split('\n')[0]).toBe('CANCELLED: 2 books done, 0 already complete, 0 failed, 4 not done (a re-run does them) (of 6)');
    expect(formatSummary(summary({ status: 'failed', itemsDone: 0 }), 'messages').split('\n')[0]).toBe('FAILED: 0 messages done, 0 already complete, 0 failed, 6 not done (a re-run does them) (of 6)');
  });
});
