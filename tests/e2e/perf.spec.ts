import { writeFile, mkdir } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { JobEvent, TelemetryFrame, TimelineSpan, WorkerSnapshot } from '../../shared/events';
import { ARTIFACTS, expect, shot, test } from './support/fixtures';

/**
 * UI performance with 16 workers and 10,000 items. The page is the real built renderer served by
 * `fanout serve`, but its WebSocket is replaced (Playwright routeWebSocket) by a synthetic engine
 * that sends one batched frame every 100 ms, as the JobManager does: this measures the UI alone.
 */
const WORKERS = 16;
const ITEMS = 10_000;
const FRAMES = 200; // 20 s of run at 10 frames/s
const PHASES = ['connecting', 'downloading', 'cleaning', 'writing'] as const;

// Tracing snapshots the DOM on every action; it would be measured too.
test.use({ trace: 'off' });

test('16 workers × 10,000 items: no long task over 50 ms, bounded memory', async ({ page, env }) => {
  test.setTimeout(120_000);
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

  let send: ((msg: unknown) => void) | null = null;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    send = (msg) => ws.send(JSON.stringify(msg));
    ws.onMessage((raw) => {
      const m = JSON.parse(String(raw)) as { id: number; cmd: string };
      const values: Record<string, unknown> = {
        'app:info': { host: 'web', version: 'perf', defaultOutDir: '/tmp', canPickFolder: false, mailAvailable: false, canStoreSecrets: false },
        'settings:get': { mirror: 'http://x/', outDir: '/tmp', workers: 16, strategy: 'queue', lastCatalog: '', mail: { host: '', user: '', tls: 'implicit', rememberPassword: false } },
        'history:list': [],
      };
      ws.send(JSON.stringify({ t: 'reply', id: m.id, reply: { ok: true, value: values[m.cmd] ?? null } }));
    });
  });

  await page.goto(env.serve.url);
  await expect(page.locator('body[data-ready="1"]')).toBeAttached();
  const event = (payload: JobEvent) => send!({ t: 'event', name: 'job:event', payload });
  event({ kind: 'job:started', jobId: 'perf', jobKind: 'gutenberg', strategy: 'queue', workers: WORKERS, itemsTotal: ITEMS, outDir: '/tmp/perf' });
  await page.getByTestId('nav-live').click();
  await page.waitForTimeout(500);
  // Measure the run only (not the page load and first render).
  await page.evaluate(() => void ((globalThis as unknown as { __longTasks: number[] }).__longTasks.length = 0));

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
      while (nextStart[w.id]! + perItemMs <= t && done < ITEMS) {
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
  await shot(page, 'perf-16-workers-10k-items');

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
  // The applied-frame cost is our own; long tasks also count time the OS gave other processes.
  expect(result.meanStoreFlushMs).toBeLessThan(16);
  // On a loaded machine (other suites sharing the cores) long tasks measure the machine, not the
  // UI: the strict check runs when the machine is quiet or FANOUT_PERF_STRICT=1.
  const quiet = Math.max(...result.loadAverage) < result.cpus;
  if (quiet || process.env.FANOUT_PERF_STRICT === '1') expect(result.longTasksOver50ms).toBe(0);
  else test.info().annotations.push({ type: 'perf', description: `machine busy (load ${result.loadAverage.map((x) => x.toFixed(1)).join(' → ')} on ${result.cpus} CPUs): long tasks reported, not asserted` });
});
