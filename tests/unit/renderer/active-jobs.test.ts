/**
 * syncActiveJobs, what the page does at load and after a reconnect, against a stand-in for the
 * host's answers (window.fanout, as the Electron preload provides it): a job found is followed, a
 * followed job that ended meanwhile gets its summary from the history, one the host forgot (it was
 * restarted) is shown as interrupted, not "running" for ever.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../shared/events';
import type { ActiveJob, HistoryEntry } from '../../../shared/ipc';

const host: { active: ActiveJob[]; history: HistoryEntry[] } = { active: [], history: [] };

beforeAll(() => {
  (globalThis as { window?: unknown }).window = {
    fanout: {
      activeJobs: async () => host.active,
      listHistory: async () => host.history,
    },
  };
});

const load = async () => {
  const jobs = await import('../../../renderer/src/stores/active-jobs');
  const run = await import('../../../renderer/src/stores/run-store');
  const app = await import('../../../renderer/src/stores/app-store');
  return { ...jobs, ...run, ...app };
};

const summary = (jobId: string): JobSummary => ({
  jobId, kind: 'gutenberg', strategy: 'queue', workers: 2, status: 'cancelled', itemsTotal: 40, itemsDone: 12, itemsFailed: 0, itemsSkipped: 0,
  bytes: 1, wallMs: 1, outDir: '/o', failures: [],
} as unknown as JobSummary);

describe('syncActiveJobs', () => {
  it('at page load follows the job the host runs and opens the live view', async () => {
    const m = await load();
    host.active = [{ jobId: 'g1', kind: 'gutenberg', paused: true, startedAt: '', lastFrame: null, strategy: 'adaptive', workers: 4, outDir: '/o' }];
    m.setScreen('gutenberg');
    await m.syncActiveJobs({ follow: true, show: true });
    expect(m.useRunStore.getState()).toMatchObject({ jobId: 'g1', status: 'paused', strategy: 'adaptive' });
    expect(m.useAppStore.getState().screen).toBe('live');
    expect(m.useActiveJobs.getState().ids).toEqual(['g1']);
  });

  it('after a reconnect: the followed job ended meanwhile, so its summary comes from the history', async () => {
    const m = await load();
    host.active = [];
    host.history = [{ summary: summary('g1'), hasRecording: true }];
    await m.syncActiveJobs({ follow: false, show: false });
    m.flushRunEvents();
    expect(m.useRunStore.getState()).toMatchObject({ jobId: 'g1', status: 'finished', summary: { status: 'cancelled' } });
    expect(m.useActiveJobs.getState().ids).toEqual([]);
  });

  it('after a reconnect to a restarted host: a followed job it does not know is shown as interrupted', async () => {
    const m = await load();
    host.active = [{ jobId: 'g2', kind: 'gutenberg', paused: false, startedAt: '', lastFrame: null }];
    await m.syncActiveJobs({ follow: true, show: false });
    expect(m.useRunStore.getState()).toMatchObject({ jobId: 'g2', status: 'running' });
    host.active = [];
    host.history = [];
    await m.syncActiveJobs({ follow: false, show: false });
    expect(m.useRunStore.getState()).toMatchObject({ jobId: 'g2', status: 'finished', summary: null });
    expect(m.useRunStore.getState().warnings.at(-1)).toContain('no longer runs this job');
  });
});
