import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabEvent } from '../../../shared/ipc';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { HistoryStore } from '../../../electron/engine/jobs/history-store';
import { LabRunner } from '../../../electron/engine/jobs/lab-runner';
import { SettingsStore, defaultSettings } from '../../../electron/engine/jobs/settings-store';
import { acquireOutputLock } from '../../../electron/engine/output/output-lock';
import type { JobSummary } from '../../../shared/events';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-jobs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('settings and history writes', () => {
  it('concurrent settings saves all succeed (no shared fixed temp name) and leave no temp file', async () => {
    const store = new SettingsStore(dir, defaultSettings('/out'));
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.set({ workers: i + 1 })));
    const saved = JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'));
    expect(saved.workers).toBeGreaterThanOrEqual(1);
    expect(await readdir(dir)).toEqual(['settings.json']);
  });

  it('a settings save into a folder that cannot be created is a typed error, the cache unchanged', async () => {
    const store = new SettingsStore(join(dir, 'settings.json', 'sub'), defaultSettings('/out'));
    await new SettingsStore(dir, defaultSettings('/out')).set({ workers: 3 });
    await expect(store.set({ workers: 9 })).rejects.toMatchObject({ name: 'FanoutError', code: 'WRITE_FAILED' });
    expect((await store.get()).workers).toBe(4);
  });

  it('history keeps every entry of concurrent job ends', async () => {
    const history = new HistoryStore(dir);
    const summary = (i: number) => ({ jobId: `job-${i}` }) as JobSummary;
    await Promise.all(Array.from({ length: 8 }, (_, i) => history.add(summary(i), null)));
    expect((await history.list()).map((e) => e.summary.jobId).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `job-${i}`).sort());
  });
});

describe('lab and the output-folder lock', () => {
  it('refuses to start a lab in a folder another job holds, and names it', async () => {
    const held = await acquireOutputLock(dir, 'gutenberg');
    const events: LabEvent[] = [];
    let runs = 0;
    const lab = new LabRunner(async () => {
      runs++;
      throw new Error('must not run');
    }, (e) => events.push(e));
    try {
      const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: '/c.csv', mirror: 'http://127.0.0.1:1/', outDir: dir });
      const { done } = lab.start({ spec, strategies: ['queue'], workerCounts: [1], sampleSize: 1, repeats: 1, compareScrubExecutors: false });
      await done;
    } finally {
      await held.release();
    }
    expect(runs).toBe(0);
    const finished = events.find((e) => e.kind === 'lab:finished');
    expect(finished).toMatchObject({ status: 'failed', error: { code: 'OUTPUT_LOCKED', context: { folder: dir } } });
  });
});
