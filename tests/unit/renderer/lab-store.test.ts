import { describe, expect, it } from 'vitest';
import type { LabEvent, LabPoint } from '../../../shared/ipc';
import type { QueuePoint } from '../../../shared/lab/queue-analysis';
import { reduceLab, toggleIn, useLabStore, type LabState } from '../../../renderer/src/stores/lab-store';

const context = { title: 'Fanout lab: scrub, 4 books, 2 cores', cores: 2, rateCap: null };
const point = (workers: number, ms: number): LabPoint => ({ strategy: 'queue', scrubExecutor: 'threads', workers, wallMs: [ms], medianMs: ms, itemsDone: 4, itemsFailed: 0, bytes: 400 });
const qpoint: QueuePoint = { bound: 4, wallMs: [100], medianMs: 100, itemsDone: 8, itemsFailed: 0, bytes: 800, blockedMs: 3, peakInFlight: 4, peakRssBytes: 1e8 };

function apply(s: LabState, events: LabEvent[]): LabState {
  return events.reduce((acc, e) => ({ ...acc, ...reduceLab(acc, e) }), s);
}

describe('lab store: one run per kind', () => {
  it('keeps each kind\'s last run, so a scrub lab does not replace the Gutenberg results', () => {
    const s = apply(useLabStore.getState(), [
      { kind: 'lab:started', labId: 'g', cells: 1, lab: 'gutenberg', context: { ...context, rateCap: 1000 } },
      { kind: 'lab:point', labId: 'g', point: point(1, 200), done: 1, cells: 1 },
      { kind: 'lab:finished', labId: 'g', status: 'succeeded', points: [point(1, 200)] },
      { kind: 'lab:started', labId: 's', cells: 2, lab: 'scrub', context },
      { kind: 'lab:point', labId: 's', point: point(1, 100), done: 1, cells: 2 },
    ]);
    expect(s.runs.gutenberg).toMatchObject({ status: 'succeeded', points: [point(1, 200)], context: { rateCap: 1000 } });
    expect(s.runs.scrub).toMatchObject({ status: 'running', done: 1, cells: 2, points: [point(1, 100)] });
  });

  it('takes the finished points and timelines, and the error as text', () => {
    const timeline = { role: 'fastest' as const, strategy: 'split' as const, workers: 2, wallMs: 50, spans: [{ worker: 0, state: 'connecting' as const, item: null, start: 0, end: 5 }], droppedSpans: 0 };
    const s = apply(useLabStore.getState(), [
      { kind: 'lab:started', labId: 'm', cells: 2, lab: 'mail', context },
      { kind: 'lab:finished', labId: 'm', status: 'failed', points: [point(1, 10)], timelines: [timeline], error: { code: 'AUTH_FAILED', message: 'no', retryable: false, context: {} } },
    ]);
    expect(s.runs.mail).toMatchObject({ status: 'failed', error: 'AUTH_FAILED: no', timelines: [timeline] });
  });

  it('holds queue points as they come', () => {
    const s = apply(useLabStore.getState(), [
      { kind: 'lab:started', labId: 'q', cells: 1, lab: 'queue', context },
      { kind: 'lab:point', labId: 'q', point: qpoint, done: 1, cells: 1 },
    ]);
    expect(s.runs.queue?.points).toEqual([qpoint]);
  });
});

describe('toggleIn', () => {
  it('adds and removes, in the order of the choices', () => {
    expect(toggleIn([8, 1], 4, [1, 2, 4, 8])).toEqual([1, 4, 8]);
    expect(toggleIn([1, 4, 8], 4, [1, 2, 4, 8])).toEqual([1, 8]);
    expect(toggleIn<number | null>([1], null, [1, 2, null])).toEqual([1, null]);
  });
});

describe('lab store: a lab asked to run', () => {
  it('is starting until its lab:started, not the last run of its kind (whose Export would be taken for it)', () => {
    const before = apply(useLabStore.getState(), [
      { kind: 'lab:started', labId: 'old', cells: 1, lab: 'gutenberg', context },
      { kind: 'lab:finished', labId: 'old', status: 'succeeded', points: [point(1, 200)] },
    ]);
    const asked: LabState = { ...before, starting: 'gutenberg' };
    // Another kind's start leaves it starting.
    expect(apply(asked, [{ kind: 'lab:started', labId: 's', cells: 1, lab: 'scrub', context }]).starting).toBe('gutenberg');
    const started = apply(asked, [{ kind: 'lab:started', labId: 'new', cells: 2, lab: 'gutenberg', context }]);
    expect(started.starting).toBeNull();
    expect(started.runs.gutenberg).toMatchObject({ labId: 'new', status: 'running', points: [] });
  });
});
