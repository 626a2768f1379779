/**
 * The Lab screen runs every experiment against real local servers (the fixture's vsftpd and HTTP
 * mirror, a harness Dovecot) in short grids, and what it shows is what its points say: the table
 * has a row per finished point, the chart draws those points, and the notes are the ones
 * shared/lab writes for them (the sentences `fanout lab` prints). The finished points are read from
 * the lab's own Export JSON (lab.json, as the CLI writes it). No timing is asserted.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Download, Page } from '@playwright/test';
import type { LabPoint } from '../../shared/ipc';
import { analyseLab, type LabAnalysisOptions } from '../../shared/lab/lab-analysis';
import { scrubLabLabel } from '../../shared/lab/lab-labels';
import { analyseQueueLab, type QueuePoint } from '../../shared/lab/queue-analysis';
import { analyseStragglerLab, type StragglerPoint } from '../../shared/lab/straggler-analysis';
import { slowBooks, startTcpProxy } from '../harness';
import { startDovecot, type DovecotServer } from '../harness/dovecot';
import { fillMailbox } from '../harness/dovecot-fill';
import { expect, fillGutenbergForm, shot, test } from './support/fixtures';

test.describe.configure({ mode: 'serial' });

async function exported<T>(page: Page, testId: string): Promise<{ download: Download; body: T }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  return { download, body: JSON.parse(await readFile((await download.path())!, 'utf8')) as T };
}

/** An element as `evaluateAll` hands it over (the node tsconfig has no DOM types). */
type WithAttributes = { getAttribute(name: string): string | null };

/** The notes shown, in order. */
const notesOf = (page: Page, testId = 'lab-notes') => page.getByTestId(testId).locator('li').allTextContents();

type ChartSeries = Array<{ label: string; points: Array<{ workers: number; speedup: number }> }>;
const chartOf = async (page: Page, testId = 'speedup-chart') => JSON.parse((await page.getByTestId(testId).getAttribute('data-points')) ?? '[]') as ChartSeries;

/** The chart's spread bars are the cells' fastest and slowest runs, around their points, and the note under it says so. */
async function expectSpreadBars(page: Page, points: LabPoint[]): Promise<void> {
  type Spread = Array<{ label: string; bars: Array<{ workers: number; lo: number; hi: number; runs: number }> }>;
  const spread = JSON.parse((await page.getByTestId('speedup-chart').getAttribute('data-spread')) ?? '[]') as Spread;
  const drawn = await chartOf(page);
  expect(spread.map((s) => s.label)).toEqual(drawn.map((s) => s.label));
  spread.forEach((s, i) => {
    expect(s.bars.map((b) => b.workers)).toEqual(drawn[i]!.points.map((p) => p.workers));
    s.bars.forEach((b, j) => {
      expect(b.runs).toBe(points[0]!.wallMs.length);
      expect(b.lo).toBeLessThanOrEqual(drawn[i]!.points[j]!.speedup);
      expect(b.hi).toBeGreaterThanOrEqual(drawn[i]!.points[j]!.speedup);
    });
  });
  await expect(page.getByTestId('speedup-spread-note')).toHaveText(`Bars: each cell's fastest to slowest of its ${points[0]!.wallMs.length} runs (the point is their median).`);
  await expect(page.getByTestId('lab-time-range')).toHaveCount(points.length);
  // The exported lab.svg draws the same bars (shared/lab/spread.ts).
  const [svgDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('lab-svg').click()]);
  const svg = await readFile((await svgDownload.path())!, 'utf8');
  const inSvg = [...svg.matchAll(/<path class="spread" data-strategy="([^"]*)" data-workers="(\d+)" data-lo="([\d.]+)" data-hi="([\d.]+)"/g)].map((x) => `${x[1]}@${x[2]}:${x[3]}-${x[4]}`);
  expect(inSvg).toEqual(spread.flatMap((sp) => sp.bars.map((b) => `${sp.label}@${b.workers}:${b.lo.toFixed(4)}-${b.hi.toFixed(4)}`)));
}

/** The checks every speedup lab's panel must pass: table, chart and notes are its finished points'. */
async function expectSpeedupPanel(page: Page, points: LabPoint[], opts: LabAnalysisOptions, exportedNotes: string[]): Promise<void> {
  const a = analyseLab(points, opts);
  expect(exportedNotes).toEqual(a.notes);
  await expect(page.getByTestId('lab-table').locator('tbody tr')).toHaveCount(points.length);
  const rows = await page.getByTestId('lab-table').locator('tbody tr').evaluateAll((trs) => (trs as unknown as WithAttributes[]).map((tr) => `${tr.getAttribute('data-strategy')}|${tr.getAttribute('data-executor')}|${tr.getAttribute('data-workers')}`));
  expect(rows.sort()).toEqual(points.map((p) => `${p.strategy}|${p.scrubExecutor}|${p.workers}`).sort());
  expect(await chartOf(page)).toEqual(a.series.map((s) => ({ label: s.label, points: s.rows.map((r) => ({ workers: r.workers, speedup: r.speedup })) })));
  // The panel may add one line placing the last normal run; the lab's own notes come first, word for word.
  expect((await notesOf(page)).slice(0, a.notes.length)).toEqual(a.notes);
}

test('gutenberg and scrub labs: the cap reaches every cell, and downloads and cleaning share one chart', async ({ app: page, env }) => {
  await fillGutenbergForm(page, env, { mirror: env.ftp.url, outDir: join(env.dir, 'lab-gutenberg'), workers: 4, limitRate: '2M' });
  for (const ebook of [100, 101, 102, 103]) await page.getByTestId(`catalog-row-${ebook}`).click();
  await page.getByTestId('nav-lab').click();
  await page.getByTestId('lab-kind-gutenberg').click();
  // The cap typed in the job form is the lab's (one store).
  await expect(page.getByTestId('lab-limit-rate')).toHaveValue('2M');
  await page.getByTestId('lab-strategy-adaptive').uncheck();
  for (const n of [4, 8, 16]) await page.getByTestId(`lab-workers-${n}`).uncheck();
  await page.getByTestId('lab-sample').fill('4');
  // Each cell is run 3 times by default (the design's k ≥ 3), and what Run will do is said before it is clicked.
  await expect(page.getByTestId('lab-repeats')).toHaveValue('3');
  await expect(page.getByTestId('lab-plan')).toHaveText('6 runs (2 cells × 3 repeats), 4 books each');
  await page.getByTestId('lab-run').click();
  await expect(page.getByTestId('lab-status')).toHaveText(/^(succeeded|failed)$/, { timeout: 60_000 });
  await expect(page.getByTestId('lab-status')).toHaveText('succeeded');
  const g = await exported<{ points: LabPoint[]; analysis: { notes: string[] } }>(page, 'lab-json');
  expect(g.download.suggestedFilename()).toBe('fanout-speedup.json');
  expect(g.body.points.map((p) => `${p.strategy}×${p.workers}`)).toEqual(['queue×1', 'queue×2']);
  expect(g.body.points.every((p) => p.itemsDone === 4 && p.itemsFailed === 0)).toBe(true);
  // The spread of each cell's 3 runs is drawn as a bar around its point (there were none: one run per cell).
  expect(g.body.points.map((p) => p.wallMs.length)).toEqual([3, 3]);
  await expectSpreadBars(page, g.body.points);
  // Every cell ran under the 2M cap: the analysis places the throughput against it.
  await expectSpeedupPanel(page, g.body.points, { rateCap: 2 * 1024 * 1024 }, g.body.analysis.notes);
  expect(g.body.analysis.notes.some((n) => n.includes('cap'))).toBe(true);

  await page.getByTestId('lab-kind-scrub').click();
  await page.getByTestId('lab-scrub-input').fill(env.mirror.root);
  for (const n of [4, 8, 16]) await page.getByTestId(`lab-workers-${n}`).uncheck();
  await page.getByTestId('lab-sample').fill('6');
  await page.getByTestId('lab-run').click();
  await expect(page.getByTestId('lab-status')).toHaveText(/^(succeeded|failed)$/, { timeout: 60_000 });
  await expect(page.getByTestId('lab-status')).toHaveText('succeeded');
  const s = await exported<{ points: LabPoint[]; analysis: { notes: string[] } }>(page, 'lab-json');
  expect(s.download.suggestedFilename()).toBe('fanout-lab-scrub.json');
  expect(s.body.points.map((p) => `${p.scrubExecutor}×${p.workers}`)).toEqual(['threads×1', 'threads×2', 'processes×1', 'processes×2']);
  expect(s.body.points.every((p) => p.itemsDone === 6 && p.itemsFailed === 0)).toBe(true);
  await expectSpeedupPanel(page, s.body.points, { cores: availableParallelism(), label: scrubLabLabel }, s.body.analysis.notes);
  const [svgDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('lab-svg').click()]);
  const svgText = await readFile((await svgDownload.path())!, 'utf8');
  expect(svgText).toContain(`Fanout lab: scrub, 6 books, ${availableParallelism()} cores`);
  expect(svgText.match(/<circle class="point"/g)).toHaveLength(4);

  // I/O-bound vs CPU-bound: the download curve and both cleaning curves on one chart, each placed against the cores.
  await expect(page.getByTestId('lab-io-cpu')).toBeVisible();
  const both = await chartOf(page, 'io-cpu-chart');
  expect(both.map((x) => x.label)).toEqual(['download, queue', 'scrub in threads', 'scrub in child processes']);
  expect(both[0]!.points.map((p) => p.workers)).toEqual([1, 2]);
  const ioNotes = await notesOf(page, 'lab-io-cpu-notes');
  expect(ioNotes).toHaveLength(3);
  for (const n of ioNotes) expect(n).toContain(`this machine's ${availableParallelism()} cores`);
  await page.getByTestId('lab-io-cpu').scrollIntoViewIfNeeded();
  await shot(page, 'lab-scrub');
});

test('queue lab: one row and one chart point per bound, and the note of those points', async ({ app: page, env }) => {
  await fillGutenbergForm(page, env, { mirror: env.http.url, outDir: join(env.dir, 'lab-queue'), workers: 2 });
  await page.getByTestId('select-all').click();
  await page.getByTestId('nav-lab').click();
  await page.getByTestId('lab-kind-queue').click();
  for (const b of ['2', '4', '8', '16', '32', '64']) await page.getByTestId(`lab-bound-${b}`).uncheck();
  await page.getByTestId('lab-queue-workers').fill('2');
  await page.getByTestId('lab-sample').fill('6');
  await page.getByTestId('lab-run').click();
  await expect(page.getByTestId('lab-status')).toHaveText(/^(succeeded|failed)$/, { timeout: 60_000 });
  await expect(page.getByTestId('lab-status')).toHaveText('succeeded');
  const q = await exported<{ points: QueuePoint[]; analysis: { notes: string[] } }>(page, 'lab-json');
  expect(q.download.suggestedFilename()).toBe('fanout-lab-queue.json');
  expect(q.body.points.map((p) => p.bound)).toEqual([1, null]);
  expect(q.body.points.every((p) => p.itemsDone === 6 && p.itemsFailed === 0 && p.peakRssBytes > 0)).toBe(true);
  const a = analyseQueueLab(q.body.points);
  expect(q.body.analysis.notes).toEqual(a.notes);
  expect(await notesOf(page)).toEqual(a.notes);
  await expect(page.getByTestId('lab-table').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('lab-table').locator('tbody tr').nth(1).locator('td').first()).toHaveText('unbounded');
  const drawn = JSON.parse((await page.getByTestId('queue-chart').getAttribute('data-points'))!) as unknown[];
  expect(drawn).toEqual(a.rows.map((r) => ({ bound: r.bound, booksPerSecond: r.booksPerSecond, blockedMs: r.blockedMs, peakRssBytes: r.peakRssBytes })));
  await shot(page, 'lab-queue');
});

test('stragglers lab: one slow book, cut and re-issued only where a timeout is set; table, chart and notes of those points', async ({ app: page, env }) => {
  // The HTTP mirror behind a proxy that trickles book 102's first transfer (a re-issue after a cut goes at full speed).
  const proxy = await startTcpProxy({ targetPort: env.http.port, slow: slowBooks([102], { bytesPerSecond: 25_000 }) });
  try {
    await fillGutenbergForm(page, env, { mirror: `http://${proxy.hostPort}/`, outDir: join(env.dir, 'lab-stragglers'), workers: 2 });
    for (const ebook of [100, 101, 102, 103, 104, 105]) await page.getByTestId(`catalog-row-${ebook}`).click();
    await page.getByTestId('nav-lab').click();
    await page.getByTestId('lab-kind-stragglers').click();
    for (const t of ['2s', '5s']) await page.getByTestId(`lab-timeout-${t}`).uncheck();
    await page.getByTestId('lab-timeout-500ms').check();
    await page.getByTestId('lab-straggler-workers').fill('2');
    await page.getByTestId('lab-sample').fill('6');
    await page.getByTestId('lab-run').click();
    await expect(page.getByTestId('lab-status')).toHaveText(/^(succeeded|failed)$/, { timeout: 60_000 });
    await expect(page.getByTestId('lab-status')).toHaveText('succeeded');
    const st = await exported<{ points: StragglerPoint[]; analysis: { notes: string[] } }>(page, 'lab-json');
    expect(st.download.suggestedFilename()).toBe('fanout-lab-stragglers.json');
    expect(st.body.points.map((p) => p.timeoutMs)).toEqual([null, 500]);
    for (const p of st.body.points) expect(p).toMatchObject({ itemsDone: 6, itemsFailed: 0 });
    const [off, cut] = st.body.points as [StragglerPoint, StragglerPoint];
    expect(off).toMatchObject({ timeouts: 0, itemsRetried: 0 });
    expect(cut.timeouts).toBeGreaterThanOrEqual(1);
    const a = analyseStragglerLab(st.body.points);
    expect(st.body.analysis.notes).toEqual(a.notes);
    expect(await notesOf(page)).toEqual(a.notes);
    await expect(page.getByTestId('lab-table').locator('tbody tr')).toHaveCount(2);
    expect(await page.getByTestId('lab-table').locator('tbody tr').evaluateAll((trs) => (trs as unknown as WithAttributes[]).map((tr) => tr.getAttribute('data-timeout')))).toEqual(['off', '500 ms']);
    // The chart is the exported lab.svg: one dot per measured item latency, the percentile ticks of each cell.
    await expect(page.getByTestId('straggler-chart').locator('circle.item')).toHaveCount(off.latenciesMs.length + cut.latenciesMs.length);
    await expect(page.getByTestId('straggler-chart').locator('line.p99')).toHaveCount(2);
    await shot(page, 'lab-stragglers');
  } finally {
    await proxy.stop();
  }
});

test.describe('mail lab', () => {
  let srv: DovecotServer;
  test.beforeAll(async () => {
    test.setTimeout(120_000);
    srv = await startDovecot();
    const admin = await srv.connect();
    await fillMailbox(admin, [{ path: 'INBOX', count: 12 }, { path: 'Archive', count: 6 }]);
    await admin.logout();
  });
  test.afterAll(async () => {
    await srv?.stop();
  });

  test('strategies × connections, with the fastest and slowest cells\' connection lanes', async ({ app: page, env }) => {
    await page.getByTestId('nav-lab').click();
    await page.getByTestId('lab-kind-mail').click();
    await page.getByTestId('lab-mail-host').fill(srv.host);
    await page.getByTestId('lab-mail-port').fill(String(srv.port));
    await page.getByTestId('lab-mail-tls').selectOption('none');
    await page.getByTestId('lab-mail-user').fill(srv.user);
    await page.getByTestId('lab-mail-password').fill(srv.password);
    await page.getByTestId('lab-mail-out-dir').fill(join(env.dir, 'lab-mail'));
    // The account is the Mail screen's, kept across lab tabs and screens (the password came back empty).
    await page.getByTestId('lab-kind-gutenberg').click();
    await page.getByTestId('nav-mail').click();
    await expect(page.getByTestId('mail-password')).toHaveValue(srv.password);
    await page.getByTestId('nav-lab').click();
    await page.getByTestId('lab-kind-mail').click();
    await expect(page.getByTestId('lab-mail-password')).toHaveValue(srv.password);
    for (const s of ['queue', 'adaptive']) await page.getByTestId(`lab-strategy-${s}`).uncheck();
    await page.getByTestId('lab-connections-4').uncheck();
    await expect(page.getByTestId('lab-plan')).toHaveText('9 runs (3 cells × 3 repeats), each an archive of the folders');
    await page.getByTestId('lab-run').click();
    await expect(page.getByTestId('lab-status')).toHaveText(/^(succeeded|failed)$/, { timeout: 60_000 });
    await expect(page.getByTestId('lab-status')).toHaveText('succeeded');
    const m = await exported<{ points: LabPoint[]; analysis: { notes: string[] } }>(page, 'lab-json');
    expect(m.body.points.map((p) => `${p.strategy}×${p.workers}`)).toEqual(['serial×1', 'split×1', 'split×2']);
    expect(m.body.points.every((p) => p.itemsDone === 18 && p.itemsFailed === 0)).toBe(true);
    await expectSpeedupPanel(page, m.body.points, {}, m.body.analysis.notes);
    await expectSpreadBars(page, m.body.points);
    // The strategies side by side on one measure, each cell's median time (the speedup chart divides each by its own one-worker time).
    const timed = JSON.parse((await page.getByTestId('lab-time-chart').getAttribute('data-points')) ?? '[]') as Array<{ label: string; points: Array<{ workers: number; seconds: number }> }>;
    expect(timed.map((t) => `${t.label}:${t.points.map((q) => `${q.workers}@${q.seconds}`).join(',')}`)).toEqual(
      ['serial', 'split'].map((st) => `${st}:${m.body.points.filter((q) => q.strategy === st).map((q) => `${q.workers}@${q.medianMs / 1000}`).join(',')}`),
    );
    await expect(page.getByTestId('lab-time-note')).toContainText('Each speedup above is over its own strategy');
    // A winner is named at 1 connection only when its slowest run beat the other's fastest; overlapping ranges say "no clear winner" (HE s17 on 63ed060).
    const at1 = m.body.points.filter((q) => q.workers === 1).sort((x, y) => x.medianMs - y.medianMs);
    const overlap = Math.min(...at1[1]!.wallMs) <= Math.max(...at1[0]!.wallMs);
    expect(JSON.parse((await page.getByTestId('lab-time-note').getAttribute('data-verdicts')) ?? '[]')).toEqual([
      { workers: 1, verdict: overlap ? 'overlap' : 'clear', tied: overlap ? [at1[0]!.strategy, at1[1]!.strategy] : [at1[0]!.strategy] },
    ]);
    await expect(page.getByTestId('lab-time-note')).toContainText(overlap ? 'at 1, no clear winner' : `at 1, ${at1[0]!.strategy} (`);
    // The timelines: the fastest and the slowest cell (by the median time in the table), each with its lanes.
    const byTime = [...m.body.points].sort((x, y) => x.medianMs - y.medianMs);
    for (const [role, p] of [['fastest', byTime[0]!], ['slowest', byTime[byTime.length - 1]!]] as const) {
      await expect(page.getByTestId(`lab-timeline-${role}-caption`)).toContainText(`${p.strategy} with ${p.workers} connection`);
      await expect(page.getByTestId(`lab-timeline-${role}-caption`)).toContainText(/connecting \d+ times?/);
      const canvas = page.getByTestId(`lab-timeline-${role}`);
      expect(Number(await canvas.getAttribute('data-spans'))).toBeGreaterThan(0);
      expect(Number(await canvas.getAttribute('data-lanes'))).toBe(p.workers);
      await expect.poll(async () => Number(await canvas.getAttribute('data-rects'))).toBeGreaterThan(0);
    }
    await page.getByTestId('lab-timelines').scrollIntoViewIfNeeded();
    await shot(page, 'lab-mail');
  });
});
