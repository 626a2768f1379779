import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../../electron/cli/progress-display';
import { formatFolderTallies } from '../../../electron/cli/mail-command';
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

describe('the time the workers waited to clean', () => {
  // The live lanes say 'waiting to clean' while it happens; the summary says how much it added up to.
  it('is said when the downloads waited for room in the scrub stage, with the stage bound', () => {
    const text = formatSummary(summary({ scrubStage: { bound: 16, blockedMs: 11_900, peakInFlight: 16 } }));
    expect(text.split('\n')[3]).toBe('waiting to clean: 11.9 s summed over workers (the scrub stage held up to 16 books, its bound): cleaning was the bottleneck then (--scrub-workers)');
  });

  it('is not said when they waited under a second in all, nor for a job without a scrub stage', () => {
    expect(formatSummary(summary({ scrubStage: { bound: 16, blockedMs: 0, peakInFlight: 3 } }))).not.toMatch(/waiting to clean/);
    // Under a second in all is no bottleneck worth a line.
    expect(formatSummary(summary({ scrubStage: { bound: 16, blockedMs: 400, peakInFlight: 16 } }))).not.toMatch(/waiting to clean/);
    expect(formatSummary(summary({}))).not.toMatch(/waiting to clean/);
  });
});

describe('the mail folder table', () => {
  it('a folder the job did not finish (cancelled, failed) says how many are left, so its line adds up', () => {
    // Before, a cancelled run printed 'INBOX  4000 = 0 + 3965 + 0' under 'on server = archived before + fetched now + vanished'.
    const table = formatFolderTallies([
      { folder: 'INBOX', onServer: 4000, archivedBefore: 0, toFetch: 4000, fetched: 3965, vanished: 0 },
      { folder: 'Big', onServer: 1000, archivedBefore: 10, toFetch: 990, fetched: 989, vanished: 1 },
    ]);
    expect(table.split('\n')).toEqual([
      'folders: on server = archived before + fetched now + vanished during the run',
      '  INBOX  4000 = 0 + 3965 + 0, and 35 not fetched (a re-run does them)',
      '  Big    1000 = 10 + 989 + 1',
      '',
    ]);
  });
});
