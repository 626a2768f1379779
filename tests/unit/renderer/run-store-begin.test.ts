import { describe, expect, it } from 'vitest';
import { beginRun, enqueueJobEvent, flushRunEvents, useRunStore } from '../../../renderer/src/stores/run-store';

describe('beginRun', () => {
  // A mail job emits job:started at once, often before startJob's answer reaches the renderer:
  // the live view's worker label lost its strategy ("4/4 ·").
  it('keeps the strategy of a job:started that arrived before startJob answered', () => {
    enqueueJobEvent({ kind: 'job:started', jobId: 'j1', jobKind: 'mail', strategy: 'adaptive', workers: 4, itemsTotal: null, outDir: '/tmp/x' });
    beginRun('j1', 'mail', 4);
    flushRunEvents();
    expect(useRunStore.getState().strategy).toBe('adaptive');
    expect(useRunStore.getState().workerCount).toBe(4);
  });

  it('keeps the header when job:started was already applied', () => {
    enqueueJobEvent({ kind: 'job:started', jobId: 'j2', jobKind: 'mail', strategy: 'queue', workers: 2, itemsTotal: null, outDir: '/tmp/y' });
    flushRunEvents();
    beginRun('j2', 'mail', 2);
    expect(useRunStore.getState().strategy).toBe('queue');
  });
});
