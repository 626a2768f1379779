/**
 * reconcileLabs: the page's labs brought in line with `lab:active` at load and reconnect. A lab that
 * ended while the page was away (its lab:finished lost) or that a restarted host no longer knows
 * must not keep Start disabled until a reload; one the page did not see start is shown running.
 */
import { describe, expect, it } from 'vitest';
import type { LabPoint } from '../../../shared/ipc';
import { LAB_LOST, reconcileLabs, reduceLab, useLabStore, type LabState } from '../../../renderer/src/stores/lab-store';

const context = { title: 't', cores: 2, rateCap: null };
const point: LabPoint = { strategy: 'queue', scrubExecutor: 'threads', workers: 1, wallMs: [5], medianMs: 5, itemsDone: 1, itemsFailed: 0, bytes: 1 };
const started = (): LabState => {
  const s = useLabStore.getState();
  return { ...s, ...reduceLab(s, { kind: 'lab:started', labId: 'L1', cells: 3, lab: 'gutenberg', context }) };
};
const anyRunning = (s: Partial<LabState>) => Object.values(s.runs ?? {}).some((r) => r?.status === 'running') || Object.keys(s.foreign ?? {}).length > 0;

describe('reconcileLabs', () => {
  it('a lab that ended while the page was away takes its end from the host', () => {
    const next = reconcileLabs(started(), { running: [], finished: [{ kind: 'lab:finished', labId: 'L1', status: 'succeeded', points: [point] }] });
    expect(next.runs?.gutenberg).toMatchObject({ status: 'succeeded', points: [point] });
    expect(anyRunning(next)).toBe(false);
  });

  it('a lab the host no longer knows (serve restarted) is marked lost, not running', () => {
    const next = reconcileLabs(started(), { running: [], finished: [] });
    expect(next.runs?.gutenberg).toMatchObject({ status: 'failed', error: LAB_LOST });
    expect(anyRunning(next)).toBe(false);
  });

  it('a lab running that the page did not see start is shown with its progress; gone once it ends', () => {
    const s = useLabStore.getState();
    const next = reconcileLabs(s, { running: [{ labId: 'L9', lab: 'scrub', cells: 4, done: 1, startedAt: '' }], finished: [] });
    expect(next.foreign).toEqual({ L9: { done: 1, cells: 4 } });
    const after = reconcileLabs({ ...s, ...next }, { running: [], finished: [] });
    expect(after.foreign).toEqual({});
    expect(anyRunning(after)).toBe(false);
  });

  it('a lab still running keeps running, with the host\'s progress', () => {
    const next = reconcileLabs(started(), { running: [{ labId: 'L1', lab: 'gutenberg', cells: 3, done: 2, startedAt: '' }], finished: [] });
    expect(next.runs?.gutenberg).toMatchObject({ status: 'running', done: 2, cells: 3 });
    expect(next.foreign).toEqual({});
  });

  it('a lab started before the page was loaded (reloaded or closed mid-lab) is taken up whole: its points so far, shown, and its end applied', () => {
    const s = { ...useLabStore.getState(), shown: 'gutenberg' as const };
    const next = reconcileLabs(s, { running: [{ labId: 'L7', lab: 'scrub', cells: 4, done: 1, startedAt: '', context, points: [point] }], finished: [] });
    expect(next.runs?.scrub).toMatchObject({ labId: 'L7', status: 'running', done: 1, cells: 4, points: [point], context });
    expect(next.foreign).toEqual({});
    expect(next.shown).toBe('scrub');
    const withIt = { ...s, ...next };
    const p2 = { ...point, workers: 2 };
    const more = { ...withIt, ...reduceLab(withIt, { kind: 'lab:point', labId: 'L7', point: p2, done: 2, cells: 4 }) };
    expect(more.runs.scrub?.points).toEqual([point, p2]);
    const end = reduceLab(more, { kind: 'lab:finished', labId: 'L7', status: 'succeeded', points: [point, p2] });
    expect(end.runs?.scrub).toMatchObject({ status: 'succeeded', points: [point, p2] });
  });

  it('a lab that ended while no page was open shows its results (the latest of each kind), without replacing a run the page has', () => {
    const s = useLabStore.getState();
    const old = { kind: 'lab:finished' as const, labId: 'L2', status: 'succeeded' as const, points: [point], lab: 'gutenberg' as const, context };
    const latest = { ...old, labId: 'L3', status: 'failed' as const, error: { code: 'CONNECTION_REFUSED' as const, message: 'no', retryable: false, context: {} } };
    const next = reconcileLabs(s, { running: [], finished: [old, latest] });
    expect(next.runs?.gutenberg).toMatchObject({ labId: 'L3', status: 'failed', points: [point], context, error: 'CONNECTION_REFUSED: no' });
    expect(anyRunning(next)).toBe(false);
    const own = reconcileLabs(started(), { running: [{ labId: 'L1', lab: 'gutenberg', cells: 3, done: 2, startedAt: '' }], finished: [old] });
    expect(own.runs?.gutenberg?.labId).toBe('L1');
  });
});
