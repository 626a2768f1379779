import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSummary, TelemetryFrame, TimelineSpan } from '../../../shared/events';
import { FrameRecorder, MAX_RECORDED_FRAMES, MAX_RECORDED_SPANS } from '../../../electron/engine/jobs/frame-recorder';
import { HistoryStore } from '../../../electron/engine/jobs/history-store';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-recorder-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A frame as a 75,000-book job sends it: 8 lanes with book labels (some outside Latin-1), `spans` closed spans. */
function frame(seq: number, spans: number): TelemetryFrame {
  const label = (n: number) => `${n} Œuvres Straße Čapek ${'x'.repeat(n % 40)}`;
  const span = (i: number): TimelineSpan => ({ worker: i % 8, state: 'downloading', item: label(seq * 100 + i), start: seq * 100 + i / 7, end: seq * 100 + i / 3 });
  return {
    seq, t: seq * 100.5, itemsTotal: 75_000, itemsDone: seq * 10, itemsFailed: 0, itemsSkipped: 0, bytesDone: seq * 30_000, cleanBytes: seq * 29_000,
    itemsCleaned: seq * 10, bytesPerSec: 1.5e6, itemsPerSec: 812.25, activeWorkers: 8, rateCap: null, paused: false,
    workers: Array.from({ length: 8 }, (_, id) => ({ id, state: 'downloading', item: label(seq + id), itemBytes: 3064, itemTotal: null, bytesDone: seq * 4000, itemsDone: seq, itemsFailed: 0, retries: 0, busyMs: seq * 99.75 })),
    spans: Array.from({ length: spans }, (_, i) => span(i)),
  } as TelemetryFrame;
}

describe('FrameRecorder', () => {
  it('gives back the frames it was given, as they were', () => {
    const rec = new FrameRecorder();
    const given = Array.from({ length: 30 }, (_, i) => frame(i, i % 5));
    for (const f of given) rec.add(f);
    expect(rec.frameCount).toBe(30);
    expect(rec.frames).toEqual(given);
    expect([...rec.frameJson()]).toEqual(given.map((f) => JSON.stringify(f)));
  });

  it('holds about the size of its frames JSON outside the heap, in a few slabs (not a buffer per frame)', () => {
    const rec = new FrameRecorder();
    for (let i = 0; i < MAX_RECORDED_FRAMES; i++) rec.add(frame(i, 16));
    const json = rec.jsonBytes;
    expect(json).toBe([...rec.frameJson()].reduce((n, j) => n + Buffer.byteLength(j), 0));
    // The memory they sit in: their size, and the rest of the last 256 KB slab at most.
    expect(rec.bytesHeld).toBeLessThan(json + 256 * 1024);
  });

  it('keeps at most MAX_RECORDED_SPANS spans, counting those it drops', () => {
    const rec = new FrameRecorder();
    const perFrame = 1000;
    const frames = MAX_RECORDED_SPANS / perFrame + 3;
    for (let i = 0; i < frames; i++) rec.add(frame(i, perFrame));
    const kept = rec.frames.reduce((n, f) => n + f.spans.length, 0);
    expect(kept).toBe(MAX_RECORDED_SPANS);
    expect(rec.droppedSpans).toBe(3 * perFrame);
    expect(rec.frames.at(-1)!.spans).toEqual([]);
    expect(rec.frames.at(-1)!.itemsDone).toBe((frames - 1) * 10);
  });

  it('past MAX_RECORDED_FRAMES, pairs become one frame: the later counters, both frames spans', () => {
    const rec = new FrameRecorder();
    const given = Array.from({ length: MAX_RECORDED_FRAMES + 1 }, (_, i) => frame(i, 2));
    for (const f of given) rec.add(f);
    const frames = rec.frames;
    expect(frames).toHaveLength(Math.ceil((MAX_RECORDED_FRAMES + 1) / 2));
    expect(frames[0]).toEqual({ ...given[1], spans: [...given[0]!.spans, ...given[1]!.spans] });
    expect(frames.at(-1)).toEqual(given.at(-1));
    expect(frames.reduce((n, f) => n + f.spans.length, 0)).toBe(2 * (MAX_RECORDED_FRAMES + 1));
  });
});

describe('a recording written from the recorder', () => {
  it('is the same file as the whole recording stringified, written from several slabs, and reads back', async () => {
    const rec = new FrameRecorder();
    for (let i = 0; i < 400; i++) rec.add(frame(i, 20)); // ~3 MB of JSON: several 256 KB slabs
    const summary = { jobId: 'gutenberg-1', status: 'succeeded', failures: [] } as unknown as JobSummary;
    const history = new HistoryStore(dir);
    await history.add(summary, { jobId: 'gutenberg-1', framesJson: () => rec.framesJson(), summary });
    const text = await readFile(join(dir, 'runs', 'gutenberg-1.json'), 'utf8');
    expect(text.length).toBeGreaterThan(1024 * 1024);
    expect(text).toBe(JSON.stringify({ jobId: 'gutenberg-1', frames: rec.frames, summary }));
    const page = await history.recordingPage('gutenberg-1', 395, 10);
    expect(page).toMatchObject({ totalFrames: 400, from: 395, summary: { status: 'succeeded' } });
    expect(page!.frames).toEqual(rec.frames.slice(395));
    expect((await readdir(join(dir, 'runs'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('after the recorder halved its frames, the file is still the recording it gives back', async () => {
    const rec = new FrameRecorder();
    for (let i = 0; i <= MAX_RECORDED_FRAMES; i++) rec.add(frame(i, 1));
    const summary = { jobId: 'j-h', status: 'succeeded' } as JobSummary;
    await new HistoryStore(dir).add(summary, { jobId: 'j-h', framesJson: () => rec.framesJson(), summary });
    const frames = rec.frames;
    expect(frames).toHaveLength(Math.ceil((MAX_RECORDED_FRAMES + 1) / 2));
    expect(await readFile(join(dir, 'runs', 'j-h.json'), 'utf8')).toBe(JSON.stringify({ jobId: 'j-h', frames, summary }));
  });

  it('an empty recording and a recording given as objects write the same JSON as before', async () => {
    const history = new HistoryStore(dir);
    const summary = { jobId: 'j-1', status: 'failed' } as JobSummary;
    await history.add(summary, { jobId: 'j-1', framesJson: () => new FrameRecorder().framesJson(), summary });
    expect(await readFile(join(dir, 'runs', 'j-1.json'), 'utf8')).toBe(JSON.stringify({ jobId: 'j-1', frames: [], summary }));
    const frames = [frame(1, 1), frame(2, 0)];
    const other = { jobId: 'j-2', status: 'succeeded' } as JobSummary;
    await history.add(other, { jobId: 'j-2', frames, summary: other });
    expect(await readFile(join(dir, 'runs', 'j-2.json'), 'utf8')).toBe(JSON.stringify({ jobId: 'j-2', frames, summary: other }));
  });
});
