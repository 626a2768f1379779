/**
 * A lab started the way the UI starts it (`lab:run` through FanoutHost, the real Gutenberg runner,
 * a real HTTP mirror) whose selection holds fewer books than its sample size: each cell runs the
 * books there are, and the lab says that number (lab:started's chart title). The CLI clamped this
 * itself (b40a8be, tests/integration/cli/lab-sample.test.ts); the plans the UI's host builds said
 * 'Fanout lab: gutenberg, 16 books' while each cell ran 2.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AnyLabPoint, LabEvent, LabRunInput } from '../../../shared/ipc';
import { FanoutHost } from '../../../electron/engine/jobs/fanout-host';
import { defaultCatalogReader, defaultRunners } from '../../../electron/engine/jobs/default-runners';
import { JobSelection } from '../../../electron/engine/gutenberg/job-selection';
import { generateMirror, startHttpServer, type HttpServer } from '../../harness';

let dir = '';
let http: HttpServer;
let catalog = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-lab-host-sample-'));
  const mirror = await generateMirror(join(dir, 'mirror'), [
    { ebook: 5, files: ['-0.txt'] },
    { ebook: 12, files: ['-0.txt'] },
  ]);
  http = await startHttpServer({ root: mirror.root });
  catalog = join(dir, 'cat.csv');
  // Two books in the catalog, and a third the selection leaves out.
  const rows = ['5,Text,2000-01-01,"Five",en,"A",F,PR,X', '12,Text,2000-01-01,"Twelve",en,"B",F,PR,X', '14,Text,2000-01-01,"Fourteen",fr,"C",F,PR,X'];
  await writeFile(catalog, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...rows, ''].join('\n'));
}, 120_000);

afterAll(async () => {
  await http?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Catalog reads by a job or a plan (JobSelection.read) before the lab's first cell, per lab run. */
const readsBeforeStart: number[] = [];

/** Runs one lab through the host and returns its events once it has finished. */
async function runLab(req: LabRunInput): Promise<LabEvent[]> {
  const reads = vi.spyOn(JobSelection, 'read');
  const host = new FanoutHost({ host: 'web', version: 't', dataDir: join(dir, 'data'), defaultOutDir: dir, runners: defaultRunners(), readCatalog: defaultCatalogReader });
  const events: LabEvent[] = [];
  let resolve: () => void = () => {};
  const done = new Promise<void>((r) => (resolve = r));
  host.onEvent((name, payload) => {
    if (name !== 'lab:event') return;
    events.push(payload as LabEvent);
    if ((payload as LabEvent).kind === 'lab:started') readsBeforeStart.push(reads.mock.calls.length);
    if ((payload as LabEvent).kind === 'lab:finished') resolve();
  });
  try {
    const reply = await host.handle('lab:run', req);
    expect(reply, JSON.stringify(reply)).toMatchObject({ ok: true });
    await done;
  } finally {
    reads.mockRestore();
  }
  return events;
}

const spec = (out: string, workers = 1) => ({ kind: 'gutenberg' as const, catalog, mirror: http.url, selection: { language: 'en' }, workers, strategy: 'queue' as const, outDir: join(dir, out) });

function startedTitle(events: LabEvent[]): string {
  const started = events.find((e) => e.kind === 'lab:started');
  return started?.kind === 'lab:started' ? started.context.title : '';
}

function finished(events: LabEvent[]): Extract<LabEvent, { kind: 'lab:finished' }> {
  const end = events.find((e) => e.kind === 'lab:finished');
  if (end?.kind !== 'lab:finished') throw new Error('no lab:finished');
  return end;
}

describe('a lab through the host with a selection smaller than its sample', () => {
  it('gutenberg: the title counts the books each cell ran', async () => {
    const events = await runLab({ kind: 'gutenberg', spec: spec('g'), strategies: ['queue'], workerCounts: [1], sampleSize: 16, repeats: 1, compareScrubExecutors: false });
    const end = finished(events);
    expect(end.status, JSON.stringify(end.error)).toBe('succeeded');
    expect((end.points as AnyLabPoint[]).map((p) => p.itemsDone)).toEqual([2]);
    expect(startedTitle(events)).toBe('Fanout lab: gutenberg, 2 books');
  });

  it('queue and stragglers: the same', async () => {
    const q = await runLab({ kind: 'queue', spec: spec('q', 2), bounds: [2], sampleSize: 32, repeats: 1 });
    expect(finished(q).status).toBe('succeeded');
    expect(startedTitle(q)).toBe('Fanout lab: queue between download and clean, 2 books, 2 download workers');
    const s = await runLab({ kind: 'stragglers', spec: spec('s', 2), timeouts: [null], sampleSize: 16, repeats: 1 });
    expect(finished(s).status).toBe('succeeded');
    expect(startedTitle(s)).toBe('Fanout lab: per-item timeout and stragglers, 2 books, 2 workers');
  });

  it('a selection larger than the sample: the sample', async () => {
    const events = await runLab({ kind: 'gutenberg', spec: { ...spec('g1'), selection: {} }, strategies: ['queue'], workerCounts: [1], sampleSize: 1, repeats: 1, compareScrubExecutors: false });
    expect(finished(events).status).toBe('succeeded');
    expect(startedTitle(events)).toBe('Fanout lab: gutenberg, 1 books');
  });

  it('the plan takes its sample from the host\'s input check: no second read of the catalog before the first cell', async () => {
    readsBeforeStart.length = 0;
    await runLab({ kind: 'gutenberg', spec: spec('r-g'), strategies: ['queue'], workerCounts: [1], sampleSize: 16, repeats: 1, compareScrubExecutors: false });
    await runLab({ kind: 'queue', spec: spec('r-q', 2), bounds: [2], sampleSize: 32, repeats: 1 });
    await runLab({ kind: 'stragglers', spec: spec('r-s', 2), timeouts: [null], sampleSize: 16, repeats: 1 });
    expect(readsBeforeStart).toEqual([0, 0, 0]);
  });
});
