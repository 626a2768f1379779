import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ItemFailure, JobSummary } from '../../../shared/events';
import { HistoryStore, LISTED_FAILURES } from '../../../electron/engine/jobs/history-store';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-history-list-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const failure = (i: number): ItemFailure => ({ item: `ebook ${i}`, error: { code: 'BOOK_NOT_FOUND', message: `no file for ebook ${i} on the mirror`, retryable: false, context: { ebook: i } } });
const failedRun = (jobId: string, n: number) =>
  ({ jobId, status: 'failed', itemsFailed: n, failures: Array.from({ length: n }, (_, i) => failure(i)) }) as unknown as JobSummary;

describe('history list size', () => {
  it('keeps the first failures of a run in the list and all of them in its recording', async () => {
    const history = new HistoryStore(dir);
    const summary = failedRun('run-1', 1000);
    await history.add(summary, { jobId: 'run-1', frames: [], summary });
    const [entry] = await history.list();
    expect(entry!.summary.itemsFailed).toBe(1000);
    expect(entry!.summary.failures).toEqual(summary.failures.slice(0, LISTED_FAILURES));
    // history.json (rewritten at each job's end, sent whole to the History screen) stays small.
    expect((await readFile(join(dir, 'history.json'), 'utf8')).length).toBeLessThan(20_000);
    // The replay still shows every recorded failure.
    expect((await history.recordingPage('run-1', 0, 10))!.summary!.failures).toHaveLength(1000);
  });

  it('trims a history written before the list was trimmed', async () => {
    const runs = Array.from({ length: 50 }, (_, i) => ({ summary: failedRun(`old-${i}`, 1000), hasRecording: false }));
    await writeFile(join(dir, 'history.json'), JSON.stringify(runs));
    const listed = await new HistoryStore(dir).list();
    expect(listed).toHaveLength(50);
    expect(JSON.stringify(listed).length).toBeLessThan(50 * 20_000);
    expect(listed.every((e) => e.summary.failures.length === LISTED_FAILURES && e.summary.itemsFailed === 1000)).toBe(true);
  });
});
