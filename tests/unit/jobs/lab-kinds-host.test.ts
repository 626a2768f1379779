/**
 * `lab:run` of each kind through the host (what the UI calls): dispatched to the engine function of
 * its `fanout lab` command, reported as lab events with what the analysis needs, refused before
 * anything runs when its input is bad. The Gutenberg, queue and mail labs against real servers are
 * in tests/e2e/lab.spec.ts.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent, TimelineSpan } from '../../../shared/events';
import type { LabEvent, LabPoint } from '../../../shared/ipc';
import { FanoutHost } from '../../../electron/engine/jobs/fanout-host';
import { LabTimelines, MAX_TIMELINE_SPANS } from '../../../electron/engine/jobs/lab-timelines';
import { generateMirror } from '../../harness';

let dir = '';
let books = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-lab-host-'));
  books = (await generateMirror(join(dir, 'books'), Array.from({ length: 4 }, (_, i) => ({ ebook: 4000 + i, files: ['-0.txt' as const], sizeBytes: 20_000 + 5_000 * i })))).root;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function makeHost(): { host: FanoutHost; events: LabEvent[]; finished: () => Promise<Extract<LabEvent, { kind: 'lab:finished' }>> } {
  const host = new FanoutHost({
    host: 'web', version: 't', dataDir: join(dir, 'data'), defaultOutDir: dir,
    runners: { gutenberg: () => Promise.reject(new Error('no Gutenberg job in this test')) },
    readCatalog: async function* () {},
  });
  const events: LabEvent[] = [];
  let resolve: (e: Extract<LabEvent, { kind: 'lab:finished' }>) => void = () => {};
  const done = new Promise<Extract<LabEvent, { kind: 'lab:finished' }>>((r) => (resolve = r));
  host.onEvent((name, payload) => {
    if (name !== 'lab:event') return;
    const e = payload as LabEvent;
    events.push(e);
    if (e.kind === 'lab:finished') resolve(e);
  });
  return { host, events, finished: () => done };
}

describe('lab:run dispatches each kind', () => {
  it('scrub: the books cleaned per executor × workers, with the host\'s cores for the notes', async () => {
    const { host, events, finished } = makeHost();
    const reply = await host.handle('lab:run', { kind: 'scrub', input: books, sampleSize: 10, executors: ['threads'], workerCounts: [2, 1], repeats: 1 });
    expect(reply).toMatchObject({ ok: true, value: { labId: expect.stringMatching(/^lab-/) } });
    const end = await finished();
    expect(end.status).toBe('succeeded');
    const started = events.find((e) => e.kind === 'lab:started')!;
    expect(started).toMatchObject({ lab: 'scrub', cells: 2, context: { cores: availableParallelism(), title: `Fanout lab: scrub, 4 books, ${availableParallelism()} cores`, rateCap: null } });
    const points = end.points as LabPoint[];
    expect(points.map((p) => `${p.scrubExecutor}×${p.workers}`)).toEqual(['threads×1', 'threads×2']);
    expect(points.every((p) => p.itemsDone === 4 && p.itemsFailed === 0)).toBe(true);
    expect(events.filter((e) => e.kind === 'lab:point')).toHaveLength(2);
  });

  it('scrub: a folder that is missing or holds no book is refused before anything runs', async () => {
    const { host, events } = makeHost();
    const missing = await host.handle('lab:run', { kind: 'scrub', input: join(dir, 'nope'), sampleSize: 4, executors: ['threads'], workerCounts: [1], repeats: 1 });
    expect(missing).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('no such folder') } });
    const noBooks = join(dir, 'no-books');
    await mkdir(noBooks);
    await writeFile(join(noBooks, 'note.md'), 'x');
    const none = await host.handle('lab:run', { kind: 'scrub', input: noBooks, sampleSize: 4, executors: ['threads'], workerCounts: [1], repeats: 1 });
    expect(none).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('holds no .txt file') } });
    expect(events).toEqual([]);
  });

  it('queue: the job\'s inputs are checked as a job\'s are (a missing catalog is refused)', async () => {
    const { host, events } = makeHost();
    const spec = { kind: 'gutenberg', catalog: join(dir, 'missing.csv'), mirror: 'http://127.0.0.1:1/', outDir: join(dir, 'out'), workers: 2, strategy: 'queue' };
    const r = await host.handle('lab:run', { kind: 'queue', spec, bounds: [1, null], sampleSize: 2, repeats: 1 });
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('missing.csv') } });
    expect(events).toEqual([]);
  });

  it('mail: refused where the host has no mail engine', async () => {
    const { host } = makeHost();
    const spec = { kind: 'mail', account: { host: 'imap.example.org', user: 'u', auth: { method: 'password', password: 'p' } }, folders: 'all', connections: 1, strategy: 'serial', outDir: join(dir, 'mail') };
    const r = await host.handle('lab:run', { kind: 'mail', spec, strategies: ['serial'], connectionCounts: [1], repeats: 1 });
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_AVAILABLE' } });
  });
});

describe('the mail lab\'s timelines', () => {
  const frame = (spans: TimelineSpan[]): JobEvent => ({ kind: 'job:frame', jobId: 'j', frame: { seq: 0, t: 0, itemsTotal: null, itemsDone: 0, itemsFailed: 0, itemsSkipped: 0, bytesDone: 0, cleanBytes: 0, itemsCleaned: 0, bytesPerSec: 0, itemsPerSec: 0, activeWorkers: 1, paused: false, workers: [], spans } });
  const span = (worker: number, start: number): TimelineSpan => ({ worker, state: 'downloading', item: 'INBOX', start, end: start + 1 });
  const point = (strategy: LabPoint['strategy'], workers: number, wallMs: number[]): LabPoint => ({ strategy, workers, scrubExecutor: 'threads', wallMs, medianMs: [...wallMs].sort((a, b) => a - b)[wallMs.length >> 1]!, itemsDone: 1, itemsFailed: 0, bytes: 1 });

  it('keeps each cell\'s last repeat, bounded, and gives the fastest and the slowest cell', () => {
    const t = new LabTimelines();
    const serial = { strategy: 'serial' as const, workers: 1, scrubExecutor: 'threads' as const };
    const split = { strategy: 'split' as const, workers: 2, scrubExecutor: 'threads' as const };
    t.onRunEvent(serial, 0, frame([span(0, 0)]));
    t.onRunEvent(split, 0, frame([span(0, 0), span(1, 0)]));
    t.onRunEvent(split, 1, frame([span(1, 5)]));
    t.onRunEvent(split, 1, frame(Array.from({ length: MAX_TIMELINE_SPANS + 10 }, (_, i) => span(0, i))));
    t.onRunEvent(split, 1, { kind: 'job:warning', jobId: 'j', message: 'x' });
    const picked = t.pick([point('serial', 1, [900]), point('split', 2, [500, 300])]);
    expect(picked.map((x) => [x.role, x.strategy, x.workers, x.wallMs])).toEqual([['fastest', 'split', 2, 300], ['slowest', 'serial', 1, 900]]);
    expect(picked[0]!.spans).toHaveLength(MAX_TIMELINE_SPANS);
    expect(picked[0]!.spans[0]).toEqual(span(1, 5));
    expect(picked[0]!.droppedSpans).toBe(11);
    expect(t.pick([point('serial', 1, [900])]).map((x) => x.role)).toEqual(['fastest']);
    expect(t.pick([])).toEqual([]);
  });
});
