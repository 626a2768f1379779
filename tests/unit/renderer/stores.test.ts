import { describe, expect, it } from 'vitest';
import type { JobEvent, JobSummary, TelemetryFrame, WorkerSnapshot } from '../../../shared/events';
import { MAX_SERIES_POINTS, appendFrameToBuffers, emptyBuffers, estimateEta, initialHeader, reduceHeader } from '../../../renderer/src/stores/run-model';
import { RECORDING_PAGE_FRAMES } from '../../../shared/ipc';
import { beginRun, enqueueJobEvent, flushRunEvents, loadRecording, runBuffers, useRunStore, type RecordingPages } from '../../../renderer/src/stores/run-store';
import { reduceLab, useLabStore } from '../../../renderer/src/stores/lab-store';
import { idsToRanges } from '../../../renderer/src/lib/format';

function worker(id: number, patch: Partial<WorkerSnapshot> = {}): WorkerSnapshot {
  return { id, state: 'downloading', item: `book ${id}`, itemBytes: 0, itemTotal: null, bytesDone: 0, itemsDone: 0, itemsFailed: 0, retries: 0, busyMs: 0, ...patch };
}

function frame(seq: number, patch: Partial<TelemetryFrame> = {}): TelemetryFrame {
  return {
    seq, t: seq * 100, itemsTotal: 10, itemsDone: seq, itemsFailed: 0, itemsSkipped: 0, bytesDone: seq * 1000, cleanBytes: seq * 500,
    itemsCleaned: seq, bytesPerSec: 10_000, itemsPerSec: 10, activeWorkers: 2, paused: false, workers: [worker(0), worker(1)], spans: [], ...patch,
  };
}

const started: JobEvent = { kind: 'job:started', jobId: 'j1', jobKind: 'gutenberg', strategy: 'queue', workers: 2, itemsTotal: 10, outDir: '/o' };

describe('run model', () => {
  it('reduces started → frames → failure → finished', () => {
    let h = reduceHeader(initialHeader, [started]);
    expect(h).toMatchObject({ jobId: 'j1', status: 'running', workerCount: 2 });
    h = reduceHeader(h, [{ kind: 'job:frame', jobId: 'j1', frame: frame(2) }, { kind: 'job:frame', jobId: 'j1', frame: frame(3, { paused: true }) }]);
    expect(h).toMatchObject({ itemsDone: 3, status: 'paused', lastSeq: 3, gaps: 0 });
    h = reduceHeader(h, [{ kind: 'job:frame', jobId: 'j1', frame: frame(7) }]);
    expect(h.gaps).toBe(1);
    h = reduceHeader(h, [{ kind: 'job:frame', jobId: 'other', frame: frame(9) }]);
    expect(h.itemsDone).toBe(7);
    const failure = { item: '9 Missing', error: { code: 'BOOK_NOT_FOUND' as const, message: 'no', retryable: false, context: {} } };
    h = reduceHeader(h, [{ kind: 'job:item-failed', jobId: 'j1', failure }]);
    h = reduceHeader(h, [{
      kind: 'job:finished', jobId: 'j1',
      summary: { jobId: 'j1', kind: 'gutenberg', strategy: 'queue', workers: 2, status: 'failed', itemsTotal: 10, itemsDone: 9, itemsFailed: 1, itemsSkipped: 0, bytes: 9000, wallMs: 1000, throughput: 9000, workerBusy: [1, 1], failures: [failure], outDir: '/o', startedAt: '' },
    }]);
    expect(h).toMatchObject({ status: 'finished', itemsDone: 9, itemsFailed: 1 });
    expect(h.failures).toHaveLength(1); // not duplicated by the summary
  });

  it('estimates the ETA from the run rate', () => {
    expect(estimateEta({ t: 1000, itemsTotal: 10, itemsDone: 5, itemsFailed: 0, itemsSkipped: 0 })).toBe(1000);
    expect(estimateEta({ t: 1000, itemsTotal: null, itemsDone: 5, itemsFailed: 0, itemsSkipped: 0 })).toBeNull();
    expect(estimateEta({ t: 0, itemsTotal: 10, itemsDone: 0, itemsFailed: 0, itemsSkipped: 0 })).toBeNull();
  });

  it('keeps the buffers bounded and derives the clean rate', () => {
    const b = emptyBuffers();
    for (let i = 1; i <= MAX_SERIES_POINTS + 50; i++) {
      appendFrameToBuffers(b, frame(i, { spans: [{ worker: 0, state: 'downloading', item: 'x', start: i * 100 - 50, end: i * 100 }] }));
    }
    expect(b.series.t).toHaveLength(MAX_SERIES_POINTS);
    expect(b.series.cleanBytesPerSec.at(-1)).toBeCloseTo(5000);
    expect(b.spans.length).toBe(MAX_SERIES_POINTS + 50);
    expect(b.open.get(0)).toMatchObject({ state: 'downloading' });
  });

  it('takes the clean rate over the last second, as the engine takes the download rate: a book cleaned whole in one frame is no spike', () => {
    const b = emptyBuffers();
    // Frames every 100 ms; a 400 KB book cleaned at each whole second.
    for (let i = 1; i <= 40; i++) appendFrameToBuffers(b, frame(i, { cleanBytes: Math.floor(i / 10) * 400_000, itemsCleaned: Math.floor(i / 10) }));
    const steady = b.series.cleanBytesPerSec.slice(10); // from 1.1 s on: a whole second in the window
    expect(steady.every((r) => Math.abs(r - 400_000) < 1)).toBe(true);
    expect(Math.max(...b.series.cleanBytesPerSec)).toBeLessThan(500_000); // per frame it was 4 MB/s (the first second: over what has passed)
    expect(b.series.itemsCleanedPerSec.at(-1)).toBeCloseTo(1);
  });
});

describe('run store', () => {
  it('applies queued events in one update per flush', () => {
    const before = useRunStore.getState().version;
    let updates = 0;
    const off = useRunStore.subscribe(() => updates++);
    enqueueJobEvent(started);
    for (let i = 1; i <= 20; i++) enqueueJobEvent({ kind: 'job:frame', jobId: 'j1', frame: frame(i) });
    flushRunEvents();
    off();
    expect(updates).toBe(1);
    expect(useRunStore.getState()).toMatchObject({ jobId: 'j1', itemsDone: 20, version: before + 1 });
    expect(runBuffers.series.t).toHaveLength(20);
  });

  it('replays a recording', async () => {
    expect(await loadRecording('old', pagesOf('old', [frame(1), frame(2)]).pages)).toBe('loaded');
    expect(useRunStore.getState()).toMatchObject({ jobId: 'old', replay: true, status: 'finished', itemsDone: 2 });
    expect(runBuffers.series.t).toHaveLength(2);
  });

  it('asks for a long recording a page at a time, applies each page in a task of its own, and switches the view over once, at the end', async () => {
    const frames = Array.from({ length: RECORDING_PAGE_FRAMES * 3 + 7 }, (_, i) => frame(i + 1));
    const failure = { item: 'ebook 7', error: { code: 'NOT_FOUND', message: 'gone', retryable: false } };
    const summary = { jobId: 'long', kind: 'gutenberg', status: 'succeeded', itemsTotal: frames.length + 1, itemsDone: frames.length, itemsFailed: 1, itemsSkipped: 0, bytes: 0, wallMs: 1000, failures: [failure] } as unknown as JobSummary;
    const source = pagesOf('long', frames, summary);
    let updates = 0;
    const off = useRunStore.subscribe(() => updates++);
    // Counts the tasks that ran while the load went on; a page applied in the task of the previous
    // one would leave fewer than one per page.
    let otherTasks = 0;
    const counting = setInterval(() => otherTasks++, 0);
    const loaded = await loadRecording('long', source.pages);
    clearInterval(counting);
    off();
    expect(loaded).toBe('loaded');
    expect(source.asked).toEqual([[0, RECORDING_PAGE_FRAMES], [100, RECORDING_PAGE_FRAMES], [200, RECORDING_PAGE_FRAMES], [300, RECORDING_PAGE_FRAMES]]);
    expect(updates).toBe(1);
    expect(otherTasks).toBeGreaterThanOrEqual(source.asked.length - 1);
    expect(useRunStore.getState()).toMatchObject({ jobId: 'long', status: 'finished', itemsDone: frames.length });
    // The summary came with the last page only and was applied at the end.
    expect(useRunStore.getState().failures).toEqual([expect.objectContaining({ item: 'ebook 7' })]);
    expect(runBuffers.series.t).toHaveLength(frames.length);
  });

  it('a run without a recording is missing, and changes nothing', async () => {
    const before = useRunStore.getState();
    expect(await loadRecording('gone', () => Promise.resolve(null))).toBe('missing');
    expect(useRunStore.getState()).toBe(before);
  });

  it('a recording still loading when a live run begins is dropped (the live run stays)', async () => {
    const frames = Array.from({ length: RECORDING_PAGE_FRAMES * 2 }, (_, i) => frame(i + 1));
    const loading = loadRecording('old-long', pagesOf('old-long', frames).pages);
    beginRun('live-1', 'gutenberg', 4);
    expect(await loading).toBe('overtaken');
    expect(useRunStore.getState()).toMatchObject({ jobId: 'live-1', replay: false, status: 'running' });
  });
});

describe('recording load dropped while a page is on its way', () => {
  it('a page that fails after the load was overtaken is not an unhandled rejection', async () => {
    let failLater: (err: Error) => void = () => {};
    const first = pagesOf('slow', Array.from({ length: RECORDING_PAGE_FRAMES * 2 }, (_, i) => frame(i + 1)));
    const pages: RecordingPages = (from, count) => (from === 0 ? first.pages(from, count) : new Promise((_, reject) => (failLater = reject)));
    const loading = loadRecording('slow', pages);
    // Overtaken once the second page was asked for (the first one applied), before it answers.
    await new Promise((resolve) => setTimeout(resolve, 0));
    beginRun('live-2', 'gutenberg', 2);
    expect(await loading).toBe('overtaken');
    failLater(new Error('connection reset'));
    await new Promise((resolve) => setTimeout(resolve, 0)); // an unhandled rejection is reported by then, and fails the run
    expect(useRunStore.getState()).toMatchObject({ jobId: 'live-2', replay: false });
  });
});

/** A recording served as `history:get` serves it, with the pages asked for. */
/** As the host answers `history:get`: the summary only on the page that ends the recording. */
function pagesOf(jobId: string, frames: TelemetryFrame[], summary: JobSummary | null = null): { pages: RecordingPages; asked: Array<[number, number]> } {
  const asked: Array<[number, number]> = [];
  const pages: RecordingPages = (from, count) => {
    asked.push([from, count]);
    const page = frames.slice(from, from + count);
    return Promise.resolve({ jobId, summary: from + page.length >= frames.length ? summary : null, from, totalFrames: frames.length, frames: page });
  };
  return { pages, asked };
}

describe('lab store', () => {
  it('accepts a new lab after a finished one and ignores other labs', () => {
    const context = { title: 't', cores: 2, rateCap: null };
    const s0 = useLabStore.getState();
    const s1 = { ...s0, ...reduceLab(s0, { kind: 'lab:started', labId: 'a', cells: 2, lab: 'gutenberg', context }) };
    expect(s1.runs.gutenberg).toMatchObject({ status: 'running', cells: 2 });
    expect(reduceLab(s1, { kind: 'lab:finished', labId: 'zzz', status: 'failed', points: [] })).toEqual({});
    const s2 = { ...s1, ...reduceLab(s1, { kind: 'lab:finished', labId: 'a', status: 'succeeded', points: [] }) };
    expect(reduceLab(s2, { kind: 'lab:started', labId: 'b', cells: 3, lab: 'gutenberg', context }).runs?.gutenberg).toMatchObject({ labId: 'b', status: 'running' });
  });
});

describe('format', () => {
  it('compresses selections into id ranges', () => {
    expect(idsToRanges([5, 1, 2, 3, 9, 3, 10])).toEqual([{ from: 1, to: 3 }, { from: 5, to: 5 }, { from: 9, to: 10 }]);
  });
});
