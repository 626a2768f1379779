import { describe, expect, it } from 'vitest';
import type { JobEvent, JobSummary } from '../../../shared/events';
import { initialHeader, reduceHeader } from '../../../renderer/src/stores/run-model';
import { failedItemsAdvice } from '../../../renderer/src/lib/run-stop';

const started: JobEvent = { kind: 'job:started', jobId: 'j', jobKind: 'gutenberg', strategy: 'queue', workers: 4, itemsTotal: 10, outDir: '/o' };
const summary = (patch: Partial<JobSummary> = {}): JobSummary => ({
  jobId: 'j', kind: 'gutenberg', strategy: 'queue', workers: 4, status: 'succeeded', itemsTotal: 10, itemsDone: 10, itemsFailed: 0, itemsSkipped: 0,
  bytes: 2_000_000, wallMs: 10_000, throughput: 200_000, workerBusy: [1, 1, 1, 1], failures: [], outDir: '/o', startedAt: '', ...patch,
});

describe('a finished run\'s header', () => {
  it('shows the whole run\'s throughput and no worker as active (not the last second\'s rate and 4/4)', () => {
    let h = reduceHeader(initialHeader, [started]);
    h = reduceHeader(h, [{
      kind: 'job:frame', jobId: 'j',
      frame: { seq: 1, t: 9000, itemsTotal: 10, itemsDone: 9, itemsFailed: 0, itemsSkipped: 0, bytesDone: 1_900_000, cleanBytes: 0, itemsCleaned: 0, bytesPerSec: 900_000, itemsPerSec: 3, activeWorkers: 4, paused: false, workers: [], spans: [] },
    }]);
    expect(h.bytesPerSec).toBe(900_000);
    h = reduceHeader(h, [{ kind: 'job:finished', jobId: 'j', summary: summary() }]);
    expect(h.bytesPerSec).toBe(200_000);
    expect(h.activeWorkers).toBe(0);
  });
});

describe('what a finished run with failed items says to do', () => {
  it('offers a re-run for the items that may pass then', () => {
    expect(failedItemsAdvice({ TIMEOUT: 1, HTTP_TRANSIENT: 1 }, 2, 8, 'books')).toBe(
      '2 items failed (listed under Errors). Start the same job again to retry them: the books already done are skipped.',
    );
  });
  it('does not promise that a re-run helps items that failed for good (a book the mirror does not have)', () => {
    expect(failedItemsAdvice({ BOOK_NOT_FOUND: 1 }, 1, 20, 'books')).toBe('1 item failed (listed under Errors): BOOK_NOT_FOUND, which a re-run meets again.');
    expect(failedItemsAdvice({ BOOK_NOT_FOUND: 1, TIMEOUT: 2 }, 3, 7, 'books')).toBe(
      '3 items failed (listed under Errors). Start the same job again to retry the 2 that may pass then (TIMEOUT): the books already done are skipped; 1 failed for good (BOOK_NOT_FOUND).',
    );
  });
  it('counts failures it did not see (a job taken up mid-way) as ones a re-run may pass', () => {
    expect(failedItemsAdvice({ BOOK_NOT_FOUND: 1 }, 3, 7, 'books')).toBe(
      '3 items failed (listed under Errors). Start the same job again to retry the 2 that may pass then: the books already done are skipped; 1 failed for good (BOOK_NOT_FOUND).',
    );
  });
  it('says when every item failed the same way: the source, not the items, is the likely cause', () => {
    expect(failedItemsAdvice({ BOOK_NOT_FOUND: 41 }, 41, 0, 'books')).toBe(
      'All 41 books failed, every one with BOOK_NOT_FOUND: is the mirror URL the root of a Gutenberg mirror (the folder holding 1/, 2/, …)? Check it before running again.',
    );
    expect(failedItemsAdvice({ HTTP_TRANSIENT: 41 }, 41, 0, 'books')).toBe(
      'All 41 books failed, every one with HTTP_TRANSIENT: the source, not the books, is the likely cause: check it before running again.',
    );
    expect(failedItemsAdvice({ AUTH_FAILED: 5 }, 5, 0, 'messages')).toBe('All 5 messages failed, every one with AUTH_FAILED: the source, not the messages, is the likely cause: check it before running again.');
  });
});
