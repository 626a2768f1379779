/**
 * What a lane says once its worker has exited. The engine has one state for that, 'stopped' (the
 * worker's loop ended), whether the worker ran out of items, was retired (the server refused its
 * connection, or `--workers auto` let it go), or the job was cancelled. In HU's s17 walk every mail
 * lane whose folders were done read "stopped" while the others still fetched, which reads like a
 * crash. A lane says "done" when it ran out of work, "retired" when the pool let it go.
 */
import { describe, expect, it } from 'vitest';
import { WORKER_STATES, type JobEvent, type JobSummary, type WorkerSnapshot } from '../../../shared/events';
import { LANE_STATE_TITLES, laneStateLabel } from '../../../renderer/src/lib/lane-state';
import { initialHeader, reduceHeader, type RunHeader } from '../../../renderer/src/stores/run-model';

const started = (workers: number, kind: 'gutenberg' | 'mail' = 'mail'): JobEvent => ({ kind: 'job:started', jobId: 'j', jobKind: kind, strategy: 'split', workers, itemsTotal: 100, outDir: '/o' });
const lane = (id: number, state: WorkerSnapshot['state'], item: string | null = state === 'stopped' ? null : `INBOX ${id}`): WorkerSnapshot => ({
  id, state, item, itemBytes: 0, itemTotal: null, bytesDone: 0, itemsDone: 1, itemsFailed: 0, retries: 0, busyMs: 0,
});
let seq = 0;
const frame = (activeWorkers: number, workers: WorkerSnapshot[]): JobEvent => ({
  kind: 'job:frame', jobId: 'j',
  frame: { seq: seq++, t: seq * 100, itemsTotal: 100, itemsDone: 10, itemsFailed: 0, itemsSkipped: 0, bytesDone: 0, cleanBytes: 0, itemsCleaned: 0, bytesPerSec: 0, itemsPerSec: 0, activeWorkers, paused: false, workers, spans: [] },
});
const summary = (status: JobSummary['status']): JobSummary => ({
  jobId: 'j', kind: 'mail', strategy: 'split', workers: 3, status, itemsTotal: 100, itemsDone: 100, itemsFailed: 0, itemsSkipped: 0, bytes: 1, wallMs: 1, throughput: 1, workerBusy: [], failures: [], outDir: '/o', startedAt: '',
});
const labels = (h: RunHeader) => h.workers.map((w) => laneStateLabel(w, h));

describe('a lane whose worker exited', () => {
  it('says "done" when it ran out of work while the others still fetch (mail and gutenberg alike)', () => {
    for (const kind of ['mail', 'gutenberg'] as const) {
      let h = reduceHeader(initialHeader, [started(3, kind), frame(3, [lane(0, 'downloading'), lane(1, 'downloading'), lane(2, 'downloading')])]);
      h = reduceHeader(h, [frame(3, [lane(0, 'downloading'), lane(1, 'stopped'), lane(2, 'downloading')])]);
      expect(labels(h)).toEqual(['downloading', 'done', 'downloading']);
    }
  });

  it('says "retired" when the pool let it go (fewer active workers), also when the worker leaves frames later (auto)', () => {
    let h = reduceHeader(initialHeader, [started(3), frame(3, [lane(0, 'connecting'), lane(1, 'connecting'), lane(2, 'connecting')])]);
    h = reduceHeader(h, [frame(2, [lane(0, 'downloading'), lane(1, 'downloading'), lane(2, 'stopped')])]);
    expect(labels(h)).toEqual(['downloading', 'downloading', 'retired']);
    // Auto lowers its target first; the worker leaves at the end of its item, a frame later.
    h = reduceHeader(h, [frame(1, [lane(0, 'downloading'), lane(1, 'downloading'), lane(2, 'stopped')])]);
    h = reduceHeader(h, [frame(1, [lane(0, 'stopped'), lane(1, 'downloading'), lane(2, 'stopped')])]);
    expect(labels(h)).toEqual(['retired', 'downloading', 'retired']);
    // Then the last one runs out of work.
    h = reduceHeader(h, [frame(1, [lane(0, 'stopped'), lane(1, 'stopped'), lane(2, 'stopped')])]);
    expect(labels(h)).toEqual(['retired', 'done', 'retired']);
  });

  it('says "done" at the end of a finished job, "stopped" when it was cancelled', () => {
    let h = reduceHeader(initialHeader, [started(2), frame(2, [lane(0, 'downloading'), lane(1, 'downloading')])]);
    const end = reduceHeader(h, [frame(2, [lane(0, 'stopped'), lane(1, 'stopped')])]);
    expect(labels(reduceHeader(end, [{ kind: 'job:finished', jobId: 'j', summary: summary('succeeded') }]))).toEqual(['done', 'done']);
    expect(labels(reduceHeader(end, [{ kind: 'job:finished', jobId: 'j', summary: summary('cancelled') }]))).toEqual(['stopped', 'stopped']);
    // A lane already stopped when this page took the job up: how it ended is not known.
    h = reduceHeader(initialHeader, [frame(1, [lane(0, 'downloading'), lane(1, 'stopped')])]);
    expect(labels(h)).toEqual(['downloading', 'stopped']);
  });
});

describe('what each lane state means', () => {
  it('every state the engine sends has its words (the lane and legend tooltip)', () => {
    for (const st of WORKER_STATES) expect(LANE_STATE_TITLES[st], st).toMatch(/\w/);
    expect(LANE_STATE_TITLES['waiting to clean']).toMatch(/room in the scrub stage/);
    expect(LANE_STATE_TITLES.listing).toMatch(/HTTP/);
  });
});
