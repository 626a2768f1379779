/**
 * The live view taking up a job this page did not start (reloaded mid-job, another tab), and one
 * the host no longer runs (restarted): pure store functions, no host.
 */
import { describe, expect, it } from 'vitest';
import type { TelemetryFrame } from '../../../shared/events';
import { reduceLab, useLabStore } from '../../../renderer/src/stores/lab-store';
import { attachRun, enqueueJobEvent, flushRunEvents, markRunLost, useRunStore } from '../../../renderer/src/stores/run-store';

function frame(seq: number, patch: Partial<TelemetryFrame> = {}): TelemetryFrame {
  return {
    seq, t: seq * 100, itemsTotal: 40, itemsDone: seq, itemsFailed: 0, itemsSkipped: 0, bytesDone: seq * 1000, cleanBytes: 0,
    itemsCleaned: 0, bytesPerSec: 1000, itemsPerSec: 1, activeWorkers: 2, paused: false, workers: [], spans: [], ...patch,
  };
}

describe('attachRun', () => {
  it('shows a paused job from its last frame, with its kind, though no frame says paused yet', () => {
    attachRun({ jobId: 'a1', kind: 'gutenberg', paused: true, startedAt: new Date().toISOString(), lastFrame: frame(5), strategy: 'queue', workers: 2, outDir: '/o' });
    expect(useRunStore.getState()).toMatchObject({ jobId: 'a1', kind: 'gutenberg', status: 'paused', itemsDone: 5, itemsTotal: 40, replay: false, strategy: 'queue', workerCount: 2, outDir: '/o' });
  });

  it('completes a job already followed from its frames (which carry no kind) without losing its numbers', () => {
    attachRun({ jobId: 'a0', kind: 'mail', paused: false, startedAt: '', lastFrame: null }); // something else first
    enqueueJobEvent({ kind: 'job:frame', jobId: 'a2', frame: frame(1) });
    flushRunEvents();
    // Another job's frame does not replace the followed one...
    expect(useRunStore.getState().jobId).toBe('a0');
    // ...but a page that follows nothing picks frames up, and attach then adds the kind.
    useRunStore.setState({ jobId: null, kind: null, status: 'idle' });
    enqueueJobEvent({ kind: 'job:frame', jobId: 'a2', frame: frame(7) });
    flushRunEvents();
    // Taken up from a frame 700 ms into the job: the timeline marks what came before as not seen.
    expect(useRunStore.getState()).toMatchObject({ jobId: 'a2', kind: null, itemsDone: 7, seenFromMs: 700 });
    attachRun({ jobId: 'a2', kind: 'gutenberg', paused: false, startedAt: '', lastFrame: frame(6) });
    expect(useRunStore.getState()).toMatchObject({ jobId: 'a2', kind: 'gutenberg', status: 'running', itemsDone: 7, seenFromMs: 700 });
  });

  it('a job taken up mid-way marks the time before as not seen (not idle); one followed from its start does not', () => {
    attachRun({ jobId: 's1', kind: 'gutenberg', paused: false, startedAt: new Date().toISOString(), lastFrame: frame(42) });
    expect(useRunStore.getState().seenFromMs).toBe(4200);
    // Paused, no frame yet: from its start time.
    attachRun({ jobId: 's2', kind: 'gutenberg', paused: true, startedAt: new Date(Date.now() - 60_000).toISOString(), lastFrame: null });
    expect(useRunStore.getState().seenFromMs).toBeGreaterThanOrEqual(60_000);
    enqueueJobEvent({ kind: 'job:started', jobId: 's3', jobKind: 'gutenberg', strategy: 'queue', workers: 2, outDir: '/o', itemsTotal: 4 });
    enqueueJobEvent({ kind: 'job:frame', jobId: 's3', frame: frame(3) });
    flushRunEvents();
    expect(useRunStore.getState()).toMatchObject({ jobId: 's3', seenFromMs: 0 });
  });
});

describe('markRunLost', () => {
  it('ends the view of a job the host no longer knows, saying what to do, instead of "running" for ever', () => {
    attachRun({ jobId: 'l1', kind: 'gutenberg', paused: false, startedAt: '', lastFrame: frame(3) });
    markRunLost('other');
    expect(useRunStore.getState().status).toBe('running');
    markRunLost('l1');
    const s = useRunStore.getState();
    expect(s.status).toBe('finished');
    expect(s.summary).toBeNull();
    expect(s.warnings.at(-1)).toContain('Start the same job again');
  });
});

describe('reduceLab: a lab this page did not see start (reloaded mid-lab)', () => {
  it('is known from its points, with its progress, and forgotten when it finishes', () => {
    const base = { ...useLabStore.getState(), runs: {}, foreign: {} };
    const point = { kind: 'lab:point' as const, labId: 'L9', point: {} as never, done: 2, cells: 6 };
    const s1 = { ...base, ...reduceLab(base, point) };
    expect(s1.foreign).toEqual({ L9: { done: 2, cells: 6 } });
    const s2 = { ...s1, ...reduceLab(s1, { kind: 'lab:finished', labId: 'L9', status: 'cancelled', points: [] }) };
    expect(s2.foreign).toEqual({});
    expect(s2.runs).toEqual({});
  });
});
