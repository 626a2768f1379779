/** What `fanout serve` says in its terminal: a job's and a lab's start and end (the page may be closed). */
import { describe, expect, it } from 'vitest';
import { activityLine } from '../../../electron/web-host/activity-log';

describe('activityLine', () => {
  it('says a job starting and how it ended; no line per frame', () => {
    expect(activityLine('job:event', { kind: 'job:started', jobId: 'g1', jobKind: 'gutenberg', strategy: 'queue', workers: 4, itemsTotal: 41, outDir: '/out' })).toBe('job g1 started: gutenberg, 4 worker(s), into /out');
    const summary = { jobId: 'g1', kind: 'gutenberg' as const, strategy: 'queue' as const, workers: 4, status: 'failed' as const, itemsTotal: 41, itemsDone: 40, itemsFailed: 1, itemsSkipped: 0, bytes: 1, wallMs: 1, throughput: 1, workerBusy: [], failures: [], outDir: '/out', startedAt: '' };
    expect(activityLine('job:event', { kind: 'job:finished', jobId: 'g1', summary })).toBe('job g1 failed: 40 done, 0 already complete, 1 failed (of 41)');
    expect(activityLine('job:event', { kind: 'job:warning', jobId: 'g1', message: 'x' })).toBeNull();
  });

  it('says a lab starting and ending (with its error); nothing for the catalog', () => {
    expect(activityLine('lab:event', { kind: 'lab:started', labId: 'L1', cells: 6, lab: 'scrub', context: { title: 't', cores: 2, rateCap: null } })).toBe('lab L1 started: scrub, 6 cell(s)');
    expect(activityLine('lab:event', { kind: 'lab:finished', labId: 'L1', status: 'failed', points: [], error: { code: 'OUTPUT_LOCKED', message: 'in use', retryable: false, context: {} } })).toBe('lab L1 failed: 0 cell(s) measured (OUTPUT_LOCKED: in use)');
    expect(activityLine('catalog:event', { kind: 'catalog:progress', mirror: 'm', bytes: 1, total: null } as never)).toBeNull();
  });
});
