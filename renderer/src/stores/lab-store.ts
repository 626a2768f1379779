import { create } from 'zustand';
import type { LabEvent, LabPoint } from '../../../shared/ipc';
import type { Strategy } from '../../../shared/strategy';

export interface LabState {
  labId: string | null;
  status: 'idle' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  cells: number;
  done: number;
  points: LabPoint[];
  error: string | null;
  config: { strategies: Strategy[]; workerCounts: number[]; sampleSize: number; repeats: number; compareScrubExecutors: boolean };
}

export const useLabStore = create<LabState>(() => ({
  labId: null,
  status: 'idle',
  cells: 0,
  done: 0,
  points: [],
  error: null,
  config: { strategies: ['queue', 'adaptive'], workerCounts: [1, 2, 4, 8, 16], sampleSize: 16, repeats: 1, compareScrubExecutors: false },
}));

export function reduceLab(s: LabState, e: LabEvent): Partial<LabState> {
  if (s.labId !== null && e.labId !== s.labId && e.kind !== 'lab:started') return {};
  switch (e.kind) {
    case 'lab:started':
      return { labId: e.labId, status: 'running', cells: e.cells, done: 0, points: [], error: null };
    case 'lab:point':
      return { points: [...s.points, e.point], done: e.done, cells: e.cells };
    case 'lab:finished':
      return { status: e.status, points: e.points, error: e.error ? `${e.error.code}: ${e.error.message}` : null };
  }
}

export function applyLabEvent(e: LabEvent): void {
  useLabStore.setState((s) => reduceLab(s, e));
}
