import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobEvent, JobSummary, TelemetryFrame } from '../../../shared/events';
import type { GutenbergJobSpec } from '../../../shared/job-spec';
import { sleep } from '../../../electron/engine/core/retry';
import type { JobControl } from '../../../electron/engine/core/job-control';
import { FanoutHost } from '../../../electron/engine/jobs/fanout-host';
import { FrameBatcher } from '../../../electron/engine/jobs/frame-batcher';
import { labCells } from '../../../electron/engine/jobs/lab-runner';

/** A job whose inputs pass the host's checks (a real catalog file, a creatable output folder); set per test. */
let spec: { kind: 'gutenberg'; catalog: string; mirror: string; outDir: string };

function frame(seq: number, spans = 0): TelemetryFrame {
  return {
    seq, t: seq * 10, itemsTotal: 5, itemsDone: seq, itemsFailed: 0, itemsSkipped: 0, bytesDone: seq, cleanBytes: 0, itemsCleaned: 0,
    bytesPerSec: 0, itemsPerSec: 0, activeWorkers: 1, paused: false, workers: [],
    spans: Array.from({ length: spans }, (_, i) => ({ worker: 0, state: 'downloading' as const, item: `${seq}-${i}`, start: 0, end: 1 })),
  };
}

/**
 * A fake engine: emits `frames` frames, `burst` at a time (back to back, no timer between them), a
 * burst every 5 ms; honours pause and abort.
 */
function fakeRunner(frames: number, burst = 1) {
  return async (s: GutenbergJobSpec, control: JobControl): Promise<JobSummary> => {
    control.onEvent({ kind: 'job:started', jobId: 'engine-id', jobKind: 'gutenberg', strategy: s.strategy, workers: s.workers, itemsTotal: frames, outDir: s.outDir });
    let i = 0;
    for (; i < frames && !control.signal.aborted; i++) {
      await control.pause.wait(control.signal).catch(() => {});
      control.onEvent({ kind: 'job:frame', jobId: 'engine-id', frame: frame(i, 1) });
      if ((i + 1) % burst === 0) await sleep(5);
    }
    return {
      jobId: 'engine-id', kind: 'gutenberg', strategy: s.strategy, workers: s.workers, status: control.signal.aborted ? 'cancelled' : 'succeeded',
      itemsTotal: frames, itemsDone: i, itemsFailed: 0, itemsSkipped: 0, bytes: i, wallMs: 5 * i, throughput: 0, workerBusy: [], failures: [], outDir: s.outDir, startedAt: new Date().toISOString(),
    };
  };
}

describe('FanoutHost + JobManager', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-ui-'));
    spec = { kind: 'gutenberg', catalog: join(dir, 'c.csv'), mirror: 'http://127.0.0.1:1/', outDir: join(dir, 'out') };
    await writeFile(spec.catalog, 'author,FileNumber,Title\nAusten,1,Pride and Prejudice\nVerne,2,Le Tour du monde\n');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const makeHost = (frames = 40, burst = 1) =>
    new FanoutHost({
      host: 'web', version: 't', dataDir: dir, defaultOutDir: dir, frameIntervalMs: 50,
      runners: { gutenberg: fakeRunner(frames, burst) },
      readCatalog: async function* () {
        yield { ebook: 1, type: 'Text', issued: null, title: 'Pride and Prejudice', languages: ['en'], authors: ['Austen, Jane'], subjects: ['Fiction'] };
        yield { ebook: 2, type: 'Text', issued: '2000-01-01', title: 'Le Tour du monde', languages: ['fr'], authors: ['Verne, Jules'], subjects: ['Voyages'] };
      },
    });

  it('rejects bad payloads with BAD_INPUT before they reach the engine', async () => {
    const host = makeHost();
    const r = await host.handle('job:start', { spec: { ...spec, workers: 1000 } });
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(host.jobs.active()).toHaveLength(0);
  });

  it('runs a job, batches frames, keeps the manager id, writes history', async () => {
    // Bursts of 10: each burst gives at most two frames (its first, and the rest at the interval's
    // timer), however slow the machine. A frame every 5 ms was batched only while the 5 ms sleeps
    // took under 50 ms (frameIntervalMs): on a loaded box each could be sent on its own.
    const host = makeHost(40, 10);
    const events: JobEvent[] = [];
    host.onEvent((name, e) => name === 'job:event' && events.push(e as JobEvent));
    const r = await host.handle('job:start', { spec });
    expect(r.ok).toBe(true);
    const jobId = (r as { value: { jobId: string } }).value.jobId;
    const summary = await host.jobs.wait(jobId);
    expect(summary).toMatchObject({ jobId, status: 'succeeded', itemsDone: 40 });
    const frames = events.filter((e) => e.kind === 'job:frame');
    expect(frames.length).toBeLessThanOrEqual(8); // 40 engine frames in 4 bursts
    expect(frames.at(-1)!.kind === 'job:frame' && frames.at(-1)!.frame.seq).toBe(39);
    // No span lost in batching.
    expect(frames.reduce((n, e) => n + (e.kind === 'job:frame' ? e.frame.spans.length : 0), 0)).toBe(40);
    expect(events.every((e) => e.jobId === jobId)).toBe(true);
    expect(events.at(-1)!.kind).toBe('job:finished');
    const hist = await host.handle('history:list', {});
    expect(hist).toMatchObject({ ok: true, value: [{ summary: { jobId }, hasRecording: true }] });
    const rec = await host.handle('history:get', { jobId });
    expect((rec as { value: { frames: unknown[] } }).value.frames.length).toBe(frames.length);
    expect(await host.handle('history:get', { jobId: '../../etc/passwd' })).toEqual({ ok: true, value: null });
  });

  it('job:recording: a running job\'s frames so far, paged, the frames its pages got (a page taking it up mid-way); null once it ended', async () => {
    const host = makeHost(10_000);
    const events: JobEvent[] = [];
    host.onEvent((name, e) => name === 'job:event' && events.push(e as JobEvent));
    const { jobId } = host.jobs.start({ ...(spec as object), workers: 2, strategy: 'queue', selection: {}, scrubExecutor: 'threads', timeoutMs: 1000, attempts: 1 } as GutenbergJobSpec);
    await sleep(300);
    await host.handle('job:pause', { jobId });
    await sleep(120); // the last batched frame out
    const sent = events.filter((e) => e.kind === 'job:frame').map((e) => (e.kind === 'job:frame' ? e.frame.seq : -1));
    const all = await host.handle('job:recording', { jobId });
    const page = (all as { value: { frames: TelemetryFrame[]; from: number; totalFrames: number; summary: unknown } }).value;
    expect(page.frames.map((f) => f.seq)).toEqual(sent);
    expect(page).toMatchObject({ from: 0, totalFrames: sent.length, summary: null });
    const second = await host.handle('job:recording', { jobId, from: 1, count: 2 });
    expect((second as { value: { frames: TelemetryFrame[] } }).value.frames.map((f) => f.seq)).toEqual(sent.slice(1, 3));
    expect(await host.handle('job:recording', { jobId, count: 0 })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    await host.handle('job:cancel', { jobId });
    await host.jobs.wait(jobId);
    expect(await host.handle('job:recording', { jobId })).toEqual({ ok: true, value: null });
  });

  it('pauses, resumes and cancels', async () => {
    const host = makeHost(10_000);
    const { jobId } = host.jobs.start({ ...(spec as object), workers: 2, strategy: 'queue', selection: {}, scrubExecutor: 'threads', timeoutMs: 1000, attempts: 1 } as GutenbergJobSpec);
    await sleep(30);
    expect((await host.handle('job:pause', { jobId })).ok).toBe(true);
    expect(host.jobs.active()[0]!.paused).toBe(true);
    // What a page that did not start the job needs to show and control it.
    expect(host.jobs.active()[0]).toMatchObject({ strategy: 'queue', workers: 2, outDir: spec.outDir });
    await host.handle('job:resume', { jobId });
    expect(host.jobs.active()[0]!.paused).toBe(false);
    await host.handle('job:pause', { jobId });
    await host.handle('job:cancel', { jobId });
    const s = await host.jobs.wait(jobId);
    expect(s.status).toBe('cancelled');
    expect(await host.handle('job:cancel', { jobId })).toMatchObject({ ok: false, error: { code: 'NO_SUCH_JOB', message: expect.stringContaining('No running job') } });
  });

  it('turns an engine crash into a failed run with the error', async () => {
    const host = new FanoutHost({
      host: 'web', version: 't', dataDir: dir, defaultOutDir: dir,
      runners: { gutenberg: async () => { throw Object.assign(new Error('nope'), { code: 'ECONNREFUSED' }); } },
      readCatalog: async function* () {},
    });
    const events: JobEvent[] = [];
    host.onEvent((_n, e) => events.push(e as JobEvent));
    const r = (await host.handle('job:start', { spec })) as { value: { jobId: string } };
    const s = await host.jobs.wait(r.value.jobId);
    expect(s.status).toBe('failed');
    expect(s.failures[0]!.error.code).toBe('CONNECTION_REFUSED');
    expect(events.map((e) => e.kind)).toEqual(['job:warning', 'job:finished']);
  });

  it('searches the catalog on the host side, paged', async () => {
    const host = makeHost();
    const loaded = (await host.handle('catalog:load', { path: spec.catalog })) as { value: { catalogId: string; rows: number } };
    expect(loaded.value.rows).toBe(2);
    const id = loaded.value.catalogId;
    expect(await host.handle('catalog:search', { catalogId: id, query: { text: 'austen pride' }, offset: 0, limit: 10 })).toMatchObject({ ok: true, value: { total: 1, rows: [{ ebook: 1, authors: 'Austen, Jane' }] } });
    expect(await host.handle('catalog:search', { catalogId: id, query: { language: 'fr' }, offset: 0, limit: 10 })).toMatchObject({ value: { total: 1, rows: [{ ebook: 2 }] } });
    expect(await host.handle('catalog:search', { catalogId: id, query: {}, offset: 1, limit: 10 })).toMatchObject({ value: { total: 2, offset: 1, rows: [{ ebook: 2 }] } });
    expect(await host.handle('catalog:ids', { catalogId: id, query: {} })).toEqual({ ok: true, value: [1, 2] });
    expect(await host.handle('catalog:search', { catalogId: 'gone', query: {}, offset: 0, limit: 1 })).toMatchObject({ ok: false, error: { code: 'CATALOG_NOT_LOADED' } });
  });

  it('reports host features that are missing', async () => {
    const host = makeHost();
    expect(await host.handle('app:info', {})).toMatchObject({ ok: true, value: { host: 'web', canPickFolder: false, mailAvailable: false } });
    expect(await host.handle('dialog:pick-folder', {})).toMatchObject({ ok: false, error: { code: 'NOT_AVAILABLE', message: expect.stringContaining('not available') } });
    expect(await host.handle('settings:set', { workers: 8 })).toMatchObject({ ok: true, value: { workers: 8 } });
    expect(await host.handle('settings:set', { password: 'x' })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });

  it('says which thing is missing: a run not in the history is NO_SUCH_RUN, not bad input', async () => {
    const host = makeHost();
    expect(await host.handle('verify:run', { jobId: 'never-ran' })).toMatchObject({ ok: false, error: { code: 'NO_SUCH_RUN', message: expect.stringContaining('never-ran') } });
  });
});

describe('FrameBatcher', () => {
  it('emits at most one frame per interval and carries spans over', async () => {
    const out: TelemetryFrame[] = [];
    const b = new FrameBatcher((f) => out.push(f), 1000);
    b.push(frame(1, 2));
    b.push(frame(2, 3));
    b.push(frame(3, 1));
    expect(out).toHaveLength(1);
    b.flush();
    expect(out).toHaveLength(2);
    expect(out[1]!.seq).toBe(3);
    expect(out[1]!.spans).toHaveLength(4);
    b.dispose();
  });
});

describe('lab cells', () => {
  it('gives serial one cell and adds the scrub executor comparison', () => {
    const cells = labCells({ strategies: ['serial', 'queue'], workerCounts: [4, 1, 2], compareScrubExecutors: true });
    expect(cells.map((c) => `${c.strategy}/${c.workers}/${c.scrubExecutor}`)).toEqual(['serial/1/threads', 'queue/1/threads', 'queue/2/threads', 'queue/4/threads', 'queue/4/processes']);
  });
});
