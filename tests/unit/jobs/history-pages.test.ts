import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSummary, TelemetryFrame } from '../../../shared/events';
import { MAX_RECORDING_PAGE_FRAMES } from '../../../shared/ipc';
import { parseCommand } from '../../../shared/ipc-schemas';
import { HistoryStore } from '../../../electron/engine/jobs/history-store';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-history-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const frame = (seq: number) => ({ seq, t: seq * 100 }) as TelemetryFrame;

async function storeWith(jobId: string, frames: number): Promise<HistoryStore> {
  const history = new HistoryStore(dir);
  const summary = { jobId, status: 'succeeded' } as JobSummary;
  await history.add(summary, { jobId, frames: Array.from({ length: frames }, (_, i) => frame(i)), summary });
  return history;
}

describe('history:get pages', () => {
  it('answers a recording a page at a time, from one read of its file', async () => {
    const history = await storeWith('run-1', 250);
    const first = await history.recordingPage('run-1', 0, 100);
    // The summary (up to 1,000 failures) travels once, on the page that ends the recording.
    expect(first).toMatchObject({ jobId: 'run-1', from: 0, totalFrames: 250, summary: null });
    expect(first!.frames.map((f) => f.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // The file is gone: the next pages come from the parse the first one made.
    await rm(join(dir, 'runs', 'run-1.json'));
    expect((await history.recordingPage('run-1', 100, 100))!.frames.map((f) => f.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
    expect((await history.recordingPage('run-1', 100, 100))!.summary).toBeNull();
    const last = await history.recordingPage('run-1', 200, 100);
    expect(last!.frames.map((f) => f.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 200 + i));
    expect(last!.summary).toMatchObject({ status: 'succeeded' });
    expect((await history.recordingPage('run-1', 250, 100))!.frames).toEqual([]);
    expect((await history.recordingPage('run-1', 250, 100))!.summary).toMatchObject({ status: 'succeeded' });
  });

  it('keeps one recording parsed at most: asking for another reads that one and drops the first', async () => {
    const history = await storeWith('run-a', 3);
    const other = { jobId: 'run-b', status: 'succeeded' } as JobSummary;
    await history.add(other, { jobId: 'run-b', frames: [frame(7)], summary: other });
    expect((await history.recordingPage('run-a', 0, 10))!.totalFrames).toBe(3);
    expect((await history.recordingPage('run-b', 0, 10))!.frames.map((f) => f.seq)).toEqual([7]);
    await rm(join(dir, 'runs', 'run-a.json'));
    expect(await history.recordingPage('run-a', 0, 10)).toBeNull();
  });

  it('without from and count, answers the whole recording; unknown and unsafe ids are null', async () => {
    const history = await storeWith('run-2', 30);
    expect((await history.recordingPage('run-2'))!.frames).toHaveLength(30);
    expect(await history.recordingPage('nope')).toBeNull();
    expect(await history.recordingPage('../../etc/passwd')).toBeNull();
  });

  it('the request is checked where it arrives: page bounds and no other field', () => {
    expect(parseCommand('history:get', { jobId: 'j', from: 100, count: 100 })).toEqual({ jobId: 'j', from: 100, count: 100 });
    expect(() => parseCommand('history:get', { jobId: 'j', count: MAX_RECORDING_PAGE_FRAMES + 1 })).toThrow(/count/);
    expect(() => parseCommand('history:get', { jobId: 'j', from: -1 })).toThrow(/from/);
    expect(() => parseCommand('history:get', { jobId: 'j', extra: 1 })).toThrow();
  });
});
