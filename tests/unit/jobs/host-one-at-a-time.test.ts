/**
 * The host runs one job or one lab at a time, whichever page asks (each page's UI refuses a second,
 * but two pages of `fanout serve` each see an idle host for a moment): a second is refused with a
 * BUSY error naming what runs. What runs, and how the last labs and catalog download ended, can be
 * asked at any time (`lab:active`, `catalog:download-state`): a page reloaded or reconnected learns
 * from them what it missed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../shared/events';
import type { CatalogEvent, LabEvent } from '../../../shared/ipc';
import type { GutenbergJobSpec } from '../../../shared/job-spec';
import type { JobControl } from '../../../electron/engine/core/job-control';
import { sleep } from '../../../electron/engine/core/retry';
import { FanoutHost } from '../../../electron/engine/jobs/fanout-host';

/** A job that runs until cancelled. */
async function endless(s: GutenbergJobSpec, control: JobControl): Promise<JobSummary> {
  control.onEvent({ kind: 'job:started', jobId: 'x', jobKind: 'gutenberg', strategy: s.strategy, workers: s.workers, itemsTotal: 1, outDir: s.outDir });
  for (let i = 0; i < 20_000 && !control.signal.aborted; i++) await sleep(5);
  return {
    jobId: 'x', kind: 'gutenberg', strategy: s.strategy, workers: s.workers, status: control.signal.aborted ? 'cancelled' : 'succeeded',
    itemsTotal: 1, itemsDone: 0, itemsFailed: 0, itemsSkipped: 0, bytes: 0, wallMs: 1, throughput: 0, workerBusy: [], failures: [], outDir: s.outDir, startedAt: new Date().toISOString(),
  };
}

let dir = '';
let spec: Record<string, unknown> = {};
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-one-'));
  spec = { kind: 'gutenberg', catalog: join(dir, 'c.csv'), mirror: 'http://127.0.0.1:1/', outDir: join(dir, 'out') };
  await writeFile(spec.catalog as string, 'author,FileNumber,Title\nAusten,1,Pride and Prejudice\nVerne,2,Le Tour du monde\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function makeHost(extra: Partial<ConstructorParameters<typeof FanoutHost>[0]> = {}) {
  const host = new FanoutHost({
    host: 'web', version: 't', dataDir: join(dir, 'data'), defaultOutDir: dir, frameIntervalMs: 20,
    runners: { gutenberg: endless },
    readCatalog: async function* () {},
    ...extra,
  });
  const labs: LabEvent[] = [];
  const catalog: CatalogEvent[] = [];
  host.onEvent((name, e) => {
    if (name === 'lab:event') labs.push(e as LabEvent);
    if (name === 'catalog:event') catalog.push(e as CatalogEvent);
  });
  return { host, labs, catalog };
}

const labReq = () => ({ kind: 'gutenberg', spec: { ...spec, outDir: join(dir, 'lab') }, strategies: ['queue'], workerCounts: [1], sampleSize: 1, repeats: 1, compareScrubExecutors: false });
const value = <T>(r: unknown) => (r as { value: T }).value;

async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !what(); i++) await sleep(10);
  expect(what()).toBe(true);
}

describe('one job or lab at a time, whichever page asks', () => {
  it('a job over a job, and a lab over a job: BUSY, naming the job', async () => {
    const { host } = makeHost();
    const first = value<{ jobId: string }>(await host.handle('job:start', { spec })).jobId;
    const second = await host.handle('job:start', { spec: { ...spec, outDir: join(dir, 'other') } });
    expect(second).toMatchObject({ ok: false, error: { code: 'BUSY', message: expect.stringContaining(`A job is running: ${first}`) } });
    expect(await host.handle('lab:run', labReq())).toMatchObject({ ok: false, error: { code: 'BUSY', message: expect.stringContaining(`A job is running: ${first}`) } });
    expect(host.jobs.active()).toHaveLength(1);
    expect(value<{ running: unknown[] }>(await host.handle('lab:active', {})).running).toEqual([]);
    await host.shutdown();
  });

  it('a job over a lab, and a lab over a lab: BUSY, naming the lab', async () => {
    const { host, labs } = makeHost();
    const labId = value<{ labId: string }>(await host.handle('lab:run', labReq())).labId;
    expect(await host.handle('job:start', { spec })).toMatchObject({ ok: false, error: { code: 'BUSY', message: expect.stringContaining(`A lab is running: ${labId}`) } });
    expect(await host.handle('lab:run', labReq())).toMatchObject({ ok: false, error: { code: 'BUSY', message: expect.stringContaining(`A lab is running: ${labId}`) } });
    expect(host.jobs.active()).toHaveLength(0);
    // What a page loaded now learns: the lab, its kind and progress, its context and points so far (to take it up whole).
    await until(() => labs.some((e) => e.kind === 'lab:started'));
    expect(value<{ running: unknown[] }>(await host.handle('lab:active', {})).running).toEqual([
      { labId, lab: 'gutenberg', cells: 1, done: 0, startedAt: expect.any(String), context: expect.objectContaining({ title: expect.any(String) }), points: [] },
    ]);
    await host.handle('lab:cancel', { labId });
    await until(() => labs.some((e) => e.kind === 'lab:finished'));
    // Ended: no longer running, and how it ended is kept for a page that missed lab:finished.
    const after = value<{ running: unknown[]; finished: LabEvent[] }>(await host.handle('lab:active', {}));
    expect(after.running).toEqual([]);
    expect(after.finished).toEqual([expect.objectContaining({ kind: 'lab:finished', labId, status: 'cancelled', lab: 'gutenberg', context: expect.objectContaining({ title: expect.any(String) }) })]);
    expect(await host.handle('job:start', { spec })).toMatchObject({ ok: true });
    await host.shutdown();
  });

  it('two starts at once (two pages): one runs, the other is refused', async () => {
    const { host } = makeHost();
    const replies = await Promise.all([host.handle('job:start', { spec }), host.handle('lab:run', labReq()), host.handle('job:start', { spec: { ...spec, outDir: join(dir, 'b') } })]);
    expect(replies.filter((r) => r.ok)).toHaveLength(1);
    expect(replies.filter((r) => !r.ok).map((r) => !r.ok && r.error.code)).toEqual(['BUSY', 'BUSY']);
    await host.shutdown();
  });
});

describe('verify:run while something runs', () => {
  it('a run\'s folder that a job is writing into again, or any folder while a lab measures: BUSY', async () => {
    const { host, labs } = makeHost();
    const first = value<{ jobId: string }>(await host.handle('job:start', { spec })).jobId;
    await host.handle('job:cancel', { jobId: first });
    await host.jobs.wait(first);
    // The same job again: its folder is being written, a verify now would report its half-written files.
    const again = value<{ jobId: string }>(await host.handle('job:start', { spec })).jobId;
    expect(await host.handle('verify:run', { jobId: first })).toMatchObject({ ok: false, error: { code: 'BUSY', message: expect.stringContaining(`A job is writing to ${spec.outDir as string}: ${again}`) } });
    await host.handle('job:cancel', { jobId: again });
    await host.jobs.wait(again);
    expect(await host.handle('verify:run', { jobId: first })).toMatchObject({ ok: true });
    const labId = value<{ labId: string }>(await host.handle('lab:run', labReq())).labId;
    expect(await host.handle('verify:run', { jobId: first })).toMatchObject({ ok: false, error: { code: 'BUSY', message: expect.stringContaining(`A lab is running: ${labId}`) } });
    await host.handle('lab:cancel', { labId });
    await until(() => labs.some((e) => e.kind === 'lab:finished'));
  });

  it('while a verify runs: a job into that folder and a lab are refused; a job elsewhere runs', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const verified: string[] = [];
    const { host } = makeHost({
      verifyFolder: async (_kind, outDir) => {
        verified.push(outDir);
        await gate;
        return { ok: true } as unknown as Awaited<ReturnType<NonNullable<ConstructorParameters<typeof FanoutHost>[0]['verifyFolder']>>>;
      },
    });
    const first = value<{ jobId: string }>(await host.handle('job:start', { spec })).jobId;
    await host.handle('job:cancel', { jobId: first });
    await host.jobs.wait(first);
    const verifying = host.handle('verify:run', { jobId: first });
    await until(() => verified.length === 1);
    expect(await host.handle('job:start', { spec })).toMatchObject({ ok: false, error: { code: 'BUSY', message: expect.stringContaining(`A verify of ${spec.outDir as string} is running`) } });
    expect(await host.handle('lab:run', labReq())).toMatchObject({ ok: false, error: { code: 'BUSY', message: expect.stringContaining('A verify of') } });
    const elsewhere = await host.handle('job:start', { spec: { ...spec, outDir: join(dir, 'elsewhere') } });
    expect(elsewhere).toMatchObject({ ok: true });
    release();
    expect(await verifying).toMatchObject({ ok: true });
    await host.shutdown();
    expect(await host.handle('job:start', { spec })).toMatchObject({ ok: true });
    await host.shutdown();
  });
});

describe('verify:state', () => {
  it('says which verify runs; asking verify:run for it again joins it (a reloaded page gets its report); its end is kept', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const { host } = makeHost({
      verifyFolder: async () => {
        calls++;
        await gate;
        return { ok: true, checked: { files: 3 } } as unknown as Awaited<ReturnType<NonNullable<ConstructorParameters<typeof FanoutHost>[0]['verifyFolder']>>>;
      },
    });
    const jobId = value<{ jobId: string }>(await host.handle('job:start', { spec })).jobId;
    await host.handle('job:cancel', { jobId });
    await host.jobs.wait(jobId);
    expect(await host.handle('verify:state', {})).toEqual({ ok: true, value: { running: [], finished: [] } });
    const first = host.handle('verify:run', { jobId });
    await until(() => calls === 1);
    expect(value(await host.handle('verify:state', {}))).toEqual({ running: [{ jobId, startedAt: expect.any(String) }], finished: [] });
    const joined = host.handle('verify:run', { jobId });
    release();
    expect(await first).toEqual({ ok: true, value: { ok: true, checked: { files: 3 } } });
    expect(await joined).toEqual(await first);
    expect(calls).toBe(1);
    expect(value(await host.handle('verify:state', {}))).toEqual({ running: [], finished: [{ jobId, report: { ok: true, checked: { files: 3 } } }] });
    await host.shutdown();
  });
});

describe('catalog:download-state', () => {
  it('says a download runs, then how it ended (also as a catalog:finished event)', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const { host, catalog } = makeHost({
      readCatalog: async function* () {
        yield { ebook: 1, type: 'Text', issued: null, title: 'T', languages: ['en'], authors: ['A'], subjects: [] };
      },
      downloadCatalog: async (mirror, opts) => {
        opts.onProgress?.({ url: `${mirror}cache`, bytes: 5, total: 10 });
        await gate;
        return { path: join(opts.destDir, 'x.csv'), url: `${mirror}cache`, bytes: 10, ms: 1 };
      },
    });
    expect(await host.handle('catalog:download-state', {})).toEqual({ ok: true, value: { running: null, last: null } });
    const reply = host.handle('catalog:download', { mirror: 'http://m/' });
    await until(() => catalog.length > 0);
    expect(value(await host.handle('catalog:download-state', {}))).toEqual({
      running: { mirror: 'http://m/', phase: 'downloading', url: 'http://m/cache', bytes: 5, total: 10 },
      last: null,
    });
    release();
    expect(await reply).toMatchObject({ ok: true });
    const state = value<{ running: unknown; last: unknown }>(await host.handle('catalog:download-state', {}));
    expect(state).toEqual({ running: null, last: { kind: 'catalog:finished', mirror: 'http://m/', ok: true, info: expect.objectContaining({ rows: 1, url: 'http://m/cache' }) } });
    expect(catalog.at(-1)).toEqual(state.last);
  });

  it('keeps a failure too', async () => {
    const { host, catalog } = makeHost({
      downloadCatalog: async () => {
        throw Object.assign(new Error('no route'), { code: 'ECONNREFUSED' });
      },
    });
    expect(await host.handle('catalog:download', { mirror: 'http://m/' })).toMatchObject({ ok: false, error: { code: 'CONNECTION_REFUSED' } });
    const state = value(await host.handle('catalog:download-state', {}));
    expect(state).toEqual({ running: null, last: { kind: 'catalog:finished', mirror: 'http://m/', ok: false, error: expect.objectContaining({ code: 'CONNECTION_REFUSED' }) } });
    expect(catalog.at(-1)).toEqual((state as { last: unknown }).last);
  });
});
