/**
 * A damaged file in the data folder (history.json, settings.json) is never read as empty and then
 * overwritten: the user's history and settings would be lost without a word. Reading one does not
 * change it (history:list says it cannot be read, and why); the next save first sets it aside,
 * durably, as `<name>.damaged-<time>-<pid>` with its bytes as they were, says so, then starts afresh.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../shared/events';
import { HistoryStore } from '../../../electron/engine/jobs/history-store';
import { SettingsStore, defaultSettings } from '../../../electron/engine/jobs/settings-store';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-damaged-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const summary = (jobId: string) => ({ jobId, outDir: '/out' }) as JobSummary;
const keptCopies = async (name: string) => (await readdir(dir)).filter((f) => f.startsWith(`${name}.damaged-`));

describe('history.json damaged', () => {
  const whole = JSON.stringify([{ summary: summary('old-1'), hasRecording: false }, { summary: summary('old-2'), hasRecording: false }]);
  it.each([
    ['cut short', whole.slice(0, whole.length - 40)],
    ['not a list', '{"summary":{}}'],
    ['an entry that is no run', JSON.stringify([{ summary: summary('old-1'), hasRecording: false }, null])],
    ['empty', ''],
  ])('%s: listing says so and changes nothing; the next run sets it aside and starts afresh', async (_, text) => {
    const file = join(dir, 'history.json');
    await writeFile(file, text);
    const history = new HistoryStore(dir);

    await expect(history.list()).rejects.toThrow(/history\.json\b.*cannot be read.*kept as it is/s);
    // A data file that cannot be read, not a bad input of the user's (HE's F6: it was BAD_INPUT).
    await expect(history.list()).rejects.toMatchObject({ code: 'DATA_DAMAGED', context: { file } });
    expect(await readFile(file, 'utf8')).toBe(text);

    const { notices } = await history.add(summary('new'), null);
    const kept = await keptCopies('history.json');
    expect(kept).toHaveLength(1);
    expect(await readFile(join(dir, kept[0]!), 'utf8')).toBe(text);
    expect(notices).toEqual([expect.stringMatching(new RegExp(`history\\.json\\b.*could not be read.*set aside as .*${kept[0]!.replace(/\./g, '\\.')}.*new history`, 's'))]);
    expect((await history.list()).map((e) => e.summary.jobId)).toEqual(['new']);

    // A whole history is not touched again: no second copy, no notice.
    expect((await history.add(summary('next'), null)).notices).toEqual([]);
    expect(await keptCopies('history.json')).toHaveLength(1);
    expect((await history.list()).map((e) => e.summary.jobId)).toEqual(['next', 'new']);
  });

  it('a history.json that cannot be read at all (a folder) is set aside too, never written into', async () => {
    await mkdir(join(dir, 'history.json'));
    await writeFile(join(dir, 'history.json', 'x'), 'mine');
    const history = new HistoryStore(dir);
    await expect(history.list()).rejects.toThrow(/history\.json\b.*cannot be read/);
    const { notices } = await history.add(summary('new'), null);
    expect(notices).toHaveLength(1);
    const kept = await keptCopies('history.json');
    expect(await readFile(join(dir, kept[0]!, 'x'), 'utf8')).toBe('mine');
    expect((await history.list()).map((e) => e.summary.jobId)).toEqual(['new']);
  });

  it('no history.json yet is an empty history, nothing set aside', async () => {
    const history = new HistoryStore(dir);
    expect(await history.list()).toEqual([]);
    expect((await history.add(summary('first'), null)).notices).toEqual([]);
    expect(await keptCopies('history.json')).toEqual([]);
  });
});

describe('a run\'s recording damaged (runs/<jobId>.json)', () => {
  it.each([
    ['cut short', '{"jobId":"r1","frames":[{"seq":0,"t":0},{"seq":1,'],
    ['no frames', '{"jobId":"r1","summary":null}'],
    ['empty', ''],
  ])('%s: history:get says it cannot be read (DATA_DAMAGED), not that the run has none; the file is kept', async (_, text) => {
    const history = new HistoryStore(dir);
    await history.add(summary('r1'), { jobId: 'r1', frames: [], summary: null });
    const file = join(dir, 'runs', 'r1.json');
    await writeFile(file, text);
    // Before: null (the History screen said 'That run has no recording.'), or a TypeError for no frames.
    await expect(history.recordingPage('r1', 0, 10)).rejects.toMatchObject({ code: 'DATA_DAMAGED', context: { file }, message: expect.stringMatching(/recording of run r1 \(.*r1\.json\) cannot be read/) });
    expect(await readFile(file, 'utf8')).toBe(text);
    // The failure is not kept: once the file is whole again, it is read.
    await writeFile(file, JSON.stringify({ jobId: 'r1', frames: [{ seq: 0, t: 0 }], summary: null }));
    expect((await history.recordingPage('r1', 0, 10))?.totalFrames).toBe(1);
  });

  it('no recording file is still no recording (null)', async () => {
    const history = new HistoryStore(dir);
    await history.add(summary('r2'), null);
    expect(await history.recordingPage('r2', 0, 10)).toBeNull();
  });
});

describe('settings.json damaged', () => {
  it.each([
    ['cut short', '{"mirror":"ftp://my.mirror/","outDir":"/data/books","work'],
    ['a value this version refuses', JSON.stringify({ mirror: 'ftp://my.mirror/', outDir: '/data/books', workers: 65 })],
    ['not an object', '[1,2]'],
  ])('%s: the next save sets it aside before writing, and says so', async (_, text) => {
    const file = join(dir, 'settings.json');
    await writeFile(file, text);
    const store = new SettingsStore(dir, defaultSettings('/default-out'));
    const got = await store.get();
    expect(got.workers).toBe(4);
    expect(await readFile(file, 'utf8')).toBe(text);
    expect(store.damage).toMatch(/settings\.json\b.*cannot be read.*kept as it is/s);
    expect(store.damageError).toMatchObject({ code: 'DATA_DAMAGED', message: store.damage, context: { file } });

    await store.set({ strategy: 'queue' });
    const kept = await keptCopies('settings.json');
    expect(kept).toHaveLength(1);
    expect(await readFile(join(dir, kept[0]!), 'utf8')).toBe(text);
    expect(store.damage).toMatch(new RegExp(`settings\\.json\\b.*could not be read.*set aside as .*${kept[0]!.replace(/\./g, '\\.')}`, 's'));
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ strategy: 'queue' });

    await store.set({ workers: 2 });
    expect(await keptCopies('settings.json')).toHaveLength(1);
  });

  it('saves at once over a damaged file: one copy set aside, before any of them writes', async () => {
    const text = '{"mirror":"ftp://my.mirror/",';
    await writeFile(join(dir, 'settings.json'), text);
    const store = new SettingsStore(dir, defaultSettings('/default-out'));
    await Promise.all(Array.from({ length: 6 }, (_, i) => store.set({ workers: i + 1 })));
    const kept = await keptCopies('settings.json');
    expect(kept).toHaveLength(1);
    expect(await readFile(join(dir, kept[0]!), 'utf8')).toBe(text);
    // Saves run one after another (47799bb): the last one given is the one on disk.
    expect(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'))).toMatchObject({ workers: 6 });
  });

  it('the readable values of a file with one bad value are kept', async () => {
    await writeFile(join(dir, 'settings.json'), JSON.stringify({ mirror: 'ftp://my.mirror/', outDir: '/data/books', workers: 65 }));
    const store = new SettingsStore(dir, defaultSettings('/default-out'));
    expect(await store.get()).toMatchObject({ mirror: 'ftp://my.mirror/', outDir: '/data/books', workers: 4 });
  });

  it('a whole settings.json is read and rewritten without a copy', async () => {
    const store = new SettingsStore(dir, defaultSettings('/default-out'));
    await store.set({ workers: 3 });
    const again = new SettingsStore(dir, defaultSettings('/default-out'));
    expect((await again.get()).workers).toBe(3);
    await again.set({ workers: 5 });
    expect(again.damage).toBeNull();
    expect(again.damageError).toBeNull();
    expect(await keptCopies('settings.json')).toEqual([]);
  });
});
