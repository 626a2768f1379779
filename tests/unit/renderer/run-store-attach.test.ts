/**
 * The live view taking up a job this page did not start (reloaded mid-job, another tab), and one
 * the host no longer runs (restarted): pure store functions, no host.
 */
import { describe, expect, it } from 'vitest';
import type { TelemetryFrame } from '../../../shared/events';
import { reduceLab, useLabStore } from '../../../renderer/src/stores/lab-store';
import type { RunRecordingPage } from '../../../shared/ipc';
import { attachRun, backfillRun, enqueueJobEvent, flushRunEvents, markRunLost, runBuffers, useRunStore } from '../../../renderer/src/stores/run-store';

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

describe('backfillRun', () => {
  const span = (seq: number) => ({ worker: seq % 2, state: 'downloading' as const, item: `b${seq}`, start: seq * 100 - 90, end: seq * 100 - 10 });
  const recorded = Array.from({ length: 42 }, (_, i) => frame(i + 1, { spans: [span(i + 1)] }));
  const pagesOf = (frames: typeof recorded) => async (from: number, count: number): Promise<RunRecordingPage> => ({ jobId: 'b1', frames: frames.slice(from, from + count), summary: null, from, totalFrames: frames.length });

  it('a job taken up mid-way gets its timeline and charts from its start: the recording so far, then the live frames, none twice', async () => {
    attachRun({ jobId: 'b1', kind: 'gutenberg', paused: false, startedAt: '', lastFrame: recorded[39]! });
    expect(useRunStore.getState().seenFromMs).toBe(4000);
    const loading = backfillRun('b1', pagesOf(recorded), [recorded[39]!]);
    // Live frames while the recording loads: 41 and 42 are in the recording too, 43 is not.
    for (const f of [recorded[40]!, recorded[41]!, frame(43, { spans: [span(43)] })]) enqueueJobEvent({ kind: 'job:frame', jobId: 'b1', frame: f });
    flushRunEvents();
    expect(await loading).toBe('loaded');
    expect(useRunStore.getState().seenFromMs).toBe(0);
    expect(runBuffers.series.t[0]).toBeCloseTo(0.1);
    expect(runBuffers.series.t.at(-1)).toBeCloseTo(4.3);
    expect(runBuffers.spans.map((s) => s.item)).toEqual(Array.from({ length: 43 }, (_, i) => `b${i + 1}`));
  });

  it('leaves the view as it was when the host has no recording, or another job was taken up meanwhile', async () => {
    attachRun({ jobId: 'b2', kind: 'gutenberg', paused: false, startedAt: '', lastFrame: frame(10) });
    expect(await backfillRun('b2', async () => null)).toBe('missing');
    expect(useRunStore.getState().seenFromMs).toBe(1000);
    const loading = backfillRun('b2', pagesOf(recorded));
    attachRun({ jobId: 'b3', kind: 'gutenberg', paused: false, startedAt: '', lastFrame: frame(5) });
    expect(await loading).toBe('overtaken');
    expect(useRunStore.getState()).toMatchObject({ jobId: 'b3', seenFromMs: 500 });
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
