import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { JobEvent, JobSummary, TelemetryFrame, TimelineSpan, WorkerSnapshot } from '../../shared/events';
import type { HistoryEntry, RunRecording } from '../../shared/ipc';
import { MAX_RECORDED_FRAMES, MAX_RECORDED_SPANS } from '../../electron/engine/jobs/frame-recorder';
import { generateCatalogChunks } from '../fixtures/catalog/generate-catalog';
import { fakeHost } from './support/fake-host';
import { startTrace, stopTrace } from './support/perf-trace';
import { ARTIFACTS, expect, shot, test } from './support/fixtures';

/**
 * UI performance with 16 workers and a whole-corpus job (75,000 items; FANOUT_PERF_ITEMS for
 * another count). The page is the real built renderer served by `fanout serve`, but its WebSocket
 * is replaced (Playwright routeWebSocket) by a synthetic engine that sends one batched frame every
 * 100 ms, as the JobManager does: this measures the UI alone. The History screen then opens the
 * recording of such a run at the recorder's bounds.
 */
const WORKERS = 16;
const ITEMS = Number(process.env.FANOUT_PERF_ITEMS ?? 75_000);
const FRAMES = 200; // 20 s of run at 10 frames/s
const PHASES = ['connecting', 'downloading', 'cleaning', 'writing'] as const;
/** The page's JS heap after the run, MB: bounded by the model's caps, not by the item count. */
const MAX_PAGE_HEAP_MB = 150;

// Tracing snapshots the DOM on every action; it would be measured too.
test.use({ trace: 'off' });

/** Records long tasks and animation frames in the page from its first script on. */
async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    // Runs in the page (DOM types are not in this tsconfig, hence the casts).
    const w = globalThis as unknown as {
      __longTasks: number[];
      __frames: number;
      requestAnimationFrame(cb: () => void): number;
      PerformanceObserver: new (cb: (list: { getEntries(): Array<{ duration: number }> }) => void) => { observe(o: object): void };
    };
    w.__longTasks = [];
    w.__frames = 0;
    new w.PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
    const tick = () => {
      w.__frames++;
      w.requestAnimationFrame(tick);
    };
    w.requestAnimationFrame(tick);
  });
}

/** Long tasks since the last call (and forgets them). */
function takeLongTasks(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const w = globalThis as unknown as { __longTasks: number[] };
    return w.__longTasks.splice(0);
  });
}

/**
 * No long task over 50 ms is a timing target: asserted by `npm run bench:ui` (FANOUT_PERF_STRICT=1),
 * reported by every run. A plain test run fails only on a task as long as the regressions this
 * screen has had (a recording applied in one go: a 1.5 s task), when the machine is quiet: a 52 ms
 * task at load 1.9 on 2 cores failed a clean-clone run, and that measured the machine, not the code.
 */
const REGRESSION_MS = 1000;
function assertNoLongTasks(longTasksMs: number[], loadAverage: number[], what: string): void {
  const over50 = longTasksMs.filter((d) => d > 50);
  if (process.env.FANOUT_PERF_STRICT === '1') {
    expect(over50, what).toEqual([]);
    return;
  }
  test.info().annotations.push({ type: 'perf', description: `${what}: ${over50.length} long task(s) over 50 ms (load ${loadAverage.map((x) => x.toFixed(1)).join(' → ')} on ${availableParallelism()} CPUs); the 50 ms target is asserted by npm run bench:ui` });
  if (Math.max(...loadAverage) < availableParallelism()) expect(Math.max(0, ...longTasksMs), `${what}: longest task`).toBeLessThan(REGRESSION_MS);
}

test(`16 workers × ${ITEMS.toLocaleString('en-US')} items: long tasks measured (50 ms target: bench:ui), bounded memory`, async ({ page, env }) => {
  test.setTimeout(120_000);
  await watchLongTasks(page);
  const send = await fakeHost(page);

  await page.goto(env.serve.url);
  await expect(page.locator('body[data-ready="1"]')).toBeAttached();
  const event = (payload: JobEvent) => send({ t: 'event', name: 'job:event', payload });
  event({ kind: 'job:started', jobId: 'perf', jobKind: 'gutenberg', strategy: 'queue', workers: WORKERS, itemsTotal: ITEMS, outDir: '/tmp/perf' });
  await page.getByTestId('nav-live').click();
  await page.waitForTimeout(500);
  // Measure the run only (not the page load and first render).
  await takeLongTasks(page);

  const perItemMs = (FRAMES * 100 * WORKERS) / ITEMS; // each worker's item time
  const workers: WorkerSnapshot[] = Array.from({ length: WORKERS }, (_, id) => ({ id, state: 'idle', item: null, itemBytes: 0, itemTotal: null, bytesDone: 0, itemsDone: 0, itemsFailed: 0, retries: 0, busyMs: 0 }));
  const nextStart = new Array<number>(WORKERS).fill(0);
  let done = 0;
  let spansSent = 0;
  const t0 = Date.now();
  const loadBefore = loadavg()[0]!;
  for (let seq = 0; seq < FRAMES; seq++) {
    const t = (seq + 1) * 100;
    const spans: TimelineSpan[] = [];
    for (const w of workers) {
      // The last frame finishes every item (rounding of perItemMs leaves a few otherwise).
      while ((seq === FRAMES - 1 || nextStart[w.id]! + perItemMs <= t) && done < ITEMS) {
        const s = nextStart[w.id]!;
        const item = `${10_000 + done} Book`;
        PHASES.forEach((state, k) => spans.push({ worker: w.id, state, item, start: s + (k * perItemMs) / 4, end: s + ((k + 1) * perItemMs) / 4 }));
        nextStart[w.id] = s + perItemMs;
        w.itemsDone++;
        w.bytesDone += 300_000;
        done++;
      }
      w.state = done < ITEMS ? 'downloading' : 'stopped';
      w.item = `${10_000 + done + w.id} Book`;
      w.itemBytes = (t % perItemMs) * 1000;
      w.itemTotal = perItemMs * 1000;
      w.busyMs = t;
    }
    spansSent += spans.length;
    const frame: TelemetryFrame = {
      seq, t, itemsTotal: ITEMS, itemsDone: done, itemsFailed: 0, itemsSkipped: 0, bytesDone: done * 300_000, cleanBytes: done * 250_000,
      itemsCleaned: done, bytesPerSec: 15e6, itemsPerSec: 500, activeWorkers: WORKERS, paused: false, workers: workers.map((w) => ({ ...w })), spans,
    };
    event({ kind: 'job:frame', jobId: 'perf', frame });
    const wait = t0 + t - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
  }
  await expect(page.getByTestId('run-progress')).toHaveText(`${ITEMS.toLocaleString('en-US')} / ${ITEMS.toLocaleString('en-US')}`);
  await page.waitForTimeout(300);
  await shot(page, 'perf-16-workers-75k-items');

  const stats = await page.evaluate(() => {
    const w = globalThis as unknown as { __longTasks: number[]; __frames: number; performance: { memory?: { usedJSHeapSize: number } } };
    const perf = (globalThis as unknown as { __fanoutRunPerf: { flushes: number; maxFlushMs: number; totalFlushMs: number } }).__fanoutRunPerf;
    return { longTasks: w.__longTasks, rafFrames: w.__frames, heapBytes: w.performance.memory?.usedJSHeapSize ?? null, perf };
  });
  const spansKept = Number(await page.getByTestId('gantt').getAttribute('data-spans'));
  const ganttRects = Number(await page.getByTestId('gantt').getAttribute('data-rects'));
  const ganttDrawMs = Number(await page.getByTestId('gantt').getAttribute('data-draw-ms'));
  const seconds = (Date.now() - t0) / 1000;
  const result = {
    workers: WORKERS, items: ITEMS, frames: FRAMES, spansSent, spansKept, ganttRects, ganttDrawMs, seconds,
    longTasksOver50ms: stats.longTasks.filter((d) => d > 50).length,
    longTasksMs: stats.longTasks.map(Math.round),
    maxLongTaskMs: stats.longTasks.length ? Math.max(...stats.longTasks) : 0,
    storeFlushes: stats.perf.flushes,
    maxStoreFlushMs: Number(stats.perf.maxFlushMs.toFixed(1)),
    meanStoreFlushMs: Number((stats.perf.totalFlushMs / Math.max(1, stats.perf.flushes)).toFixed(2)),
    rafFps: stats.rafFrames / seconds,
    heapMB: stats.heapBytes === null ? null : stats.heapBytes / 1e6,
    loadAverage: [loadBefore, loadavg()[0]!],
    cpus: availableParallelism(),
  };
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(join(ARTIFACTS, 'perf.json'), JSON.stringify(result, null, 2));
  console.log('UI perf:', JSON.stringify(result));
  expect(spansKept).toBeLessThanOrEqual(20_000);
  if (result.heapMB !== null) expect(result.heapMB).toBeLessThan(MAX_PAGE_HEAP_MB);
  // The applied-frame cost is our own; long tasks also count time the OS gave other processes.
  expect(result.meanStoreFlushMs).toBeLessThan(16);
  assertNoLongTasks(result.longTasksMs, result.loadAverage, 'live view');
});

/** A recording as the job manager keeps one of a long run: its frame and span caps reached. */
function fullRecording(jobId: string, items: number): RunRecording {
  const frames: TelemetryFrame[] = [];
  const spansPerFrame = Math.floor(MAX_RECORDED_SPANS / MAX_RECORDED_FRAMES);
  const tEnd = 250_000;
  for (let seq = 0; seq < MAX_RECORDED_FRAMES; seq++) {
    const t = ((seq + 1) * tEnd) / MAX_RECORDED_FRAMES;
    const done = Math.round((items * (seq + 1)) / MAX_RECORDED_FRAMES);
    const spans: TimelineSpan[] = Array.from({ length: spansPerFrame }, (_, k) => {
      const start = t - 200 + k;
      return { worker: k % WORKERS, state: PHASES[k % PHASES.length]!, item: `${done + k} A book of the whole corpus`, start, end: start + 50 };
    });
    const workers: WorkerSnapshot[] = Array.from({ length: WORKERS }, (_, id) => ({
      id, state: 'downloading', item: `${done + id} Book`, itemBytes: 1000, itemTotal: 3000, bytesDone: (done * 3000) / WORKERS,
      itemsDone: Math.floor(done / WORKERS), itemsFailed: 0, retries: 0, busyMs: t,
    }));
    frames.push({
      seq, t, itemsTotal: items, itemsDone: done, itemsFailed: 0, itemsSkipped: 0, bytesDone: done * 3000, cleanBytes: done * 2500, itemsCleaned: done,
      bytesPerSec: 900_000, itemsPerSec: 300, activeWorkers: WORKERS, paused: false, workers, spans,
    });
  }
  const summary: JobSummary = {
    jobId, kind: 'gutenberg', strategy: 'adaptive', workers: WORKERS, status: 'succeeded', itemsTotal: items, itemsDone: items, itemsFailed: 0, itemsSkipped: 0,
    bytes: items * 3000, wallMs: tEnd, throughput: (items * 3000) / (tEnd / 1000), workerBusy: new Array<number>(WORKERS).fill(0.9), failures: [], outDir: '/tmp/perf', startedAt: new Date().toISOString(),
  };
  return { jobId, frames, summary };
}

test(`History: opening the recording of a ${ITEMS.toLocaleString('en-US')}-item run: asked for and applied a page at a time, bounded memory, long tasks measured (50 ms target: bench:ui)`, async ({ page, env }) => {
  test.setTimeout(90_000);
  await watchLongTasks(page);
  // Through the real host (its data folder, its WebSocket), as the History screen gets a recording.
  const recording = fullRecording(`perf-history-${Date.now()}`, ITEMS);
  const dataDir = join(env.dir, 'data');
  await mkdir(join(dataDir, 'runs'), { recursive: true });
  await writeFile(join(dataDir, 'runs', `${recording.jobId}.json`), JSON.stringify(recording));
  const historyFile = join(dataDir, 'history.json');
  const earlier = JSON.parse(await readFile(historyFile, 'utf8').catch(() => '[]')) as HistoryEntry[];
  await writeFile(historyFile, JSON.stringify([{ summary: recording.summary!, hasRecording: true } satisfies HistoryEntry, ...earlier]));
  await page.goto(env.serve.url);
  await expect(page.locator('body[data-ready="1"]')).toBeAttached();
  await page.getByTestId('nav-history').click();
  const row = page.getByTestId('history-row').filter({ hasText: `${ITEMS}/0/0` });
  await expect(row).toHaveCount(1);
  // Started before the long tasks are taken: starting the trace is a long task of its own.
  const tracing = await startTrace(page);
  await takeLongTasks(page);
  const loadBefore = loadavg()[0]!;
  const clickedAt = Date.now();
  await row.getByRole('button', { name: 'Open' }).click();
  await expect(page.getByTestId('run-progress')).toHaveText(`${ITEMS.toLocaleString('en-US')} / ${ITEMS.toLocaleString('en-US')}`);
  const openMs = Date.now() - clickedAt;
  await page.waitForTimeout(300);
  const traced = await stopTrace(tracing, 'history-open');
  if (tracing) console.log('History → Open, tasks of 20 ms or more (trace):', JSON.stringify(traced, null, 1));
  const longTasks = await takeLongTasks(page);
  const spansKept = Number(await page.getByTestId('gantt').getAttribute('data-spans'));
  const heapBytes = await page.evaluate(() => (globalThis as unknown as { performance: { memory?: { usedJSHeapSize: number } } }).performance.memory?.usedJSHeapSize ?? null);
  const heapMB = heapBytes === null ? null : Math.round(heapBytes / 1e5) / 10;
  const result = { frames: recording.frames.length, spans: MAX_RECORDED_SPANS, spansKept, openMs, heapMB, longTasksMs: longTasks.map(Math.round), loadAverage: [loadBefore, loadavg()[0]!] };
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(join(ARTIFACTS, 'perf-history.json'), JSON.stringify(result, null, 2));
  console.log('History replay perf:', JSON.stringify(result));
  expect(spansKept).toBeGreaterThan(0);
  if (heapMB !== null) expect(heapMB).toBeLessThan(MAX_PAGE_HEAP_MB);
  assertNoLongTasks(longTasks, result.loadAverage, 'history replay');
});

/** The whole official catalog's size, in the real format (tests/fixtures/catalog/generate-catalog.ts). */
const CATALOG_ROWS = 75_000;

test(`the catalog of ${CATALOG_ROWS.toLocaleString('en-US')} rows searches as you type`, async ({ page, env }) => {
  test.setTimeout(120_000);
  const path = join(env.dir, 'pg_catalog-75k.csv');
  const out = createWriteStream(path);
  for (const chunk of generateCatalogChunks(CATALOG_ROWS)) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');

  await watchLongTasks(page);
  await page.goto(env.serve.url);
  await expect(page.locator('body[data-ready="1"]')).toBeAttached();
  await page.getByTestId('nav-gutenberg').click();
  await page.getByTestId('catalog-path').fill(path);
  await page.getByTestId('catalog-load').click();
  const count = page.getByTestId('catalog-count');
  const all = `${CATALOG_ROWS.toLocaleString('en-US')} of ${CATALOG_ROWS.toLocaleString('en-US')} books`;
  await expect(count).toContainText(all, { timeout: 60_000 });
  await takeLongTasks(page);
  const loadBefore = loadavg()[0]!;

  // Typed as a person types (80 ms a key): the table follows the query, the page never stalls.
  const query = 'voyage';
  const t0 = Date.now();
  await page.getByTestId('catalog-search').pressSequentially(query, { delay: 80 });
  const typedAt = Date.now();
  await expect(count).not.toContainText(all);
  await expect(page.getByTestId('catalog-table')).toContainText(/voyage/i);
  const settledMs = Date.now() - typedAt;
  const matching = (await count.textContent())!;
  const longTasks = await takeLongTasks(page);
  const result = { rows: CATALOG_ROWS, query, typingMs: typedAt - t0, lastKeyToTableMs: settledMs, matching, longTasksMs: longTasks.map(Math.round), loadAverage: [loadBefore, loadavg()[0]!] };
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(join(ARTIFACTS, 'perf-catalog.json'), JSON.stringify(result, null, 2));
  console.log('Catalog search perf:', JSON.stringify(result));
  expect(Number(matching.split(' of ')[0]!.replace(/,/g, ''))).toBeGreaterThan(0);
  assertNoLongTasks(longTasks, result.loadAverage, 'catalog search');
});
