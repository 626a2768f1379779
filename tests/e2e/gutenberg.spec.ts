import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOKS, MISSING_BOOK, expect, fillGutenbergForm, shot, test } from './support/fixtures';

test.describe.configure({ mode: 'serial' });

test('load a catalog, search it, select books, run with 4 workers over FTP', async ({ app: page, env }) => {
  const outDir = join(env.dir, 'out-ftp');
  await fillGutenbergForm(page, env, { mirror: env.ftp.url, outDir, workers: 4 });

  // Search narrows the virtual table (server-side), and rows are selectable.
  await page.getByTestId('catalog-search').fill('austen');
  await expect(page.getByTestId('catalog-count')).toContainText(`20 of ${BOOKS.length} books`);
  await page.getByTestId('catalog-search').fill('');
  await expect(page.getByTestId('catalog-count')).toContainText(`${BOOKS.length} of ${BOOKS.length} books`);
  await page.getByTestId('catalog-row-100').click();
  await expect(page.getByTestId('selected-count')).toHaveText('1 selected');
  await page.getByTestId('select-all').click();
  await expect(page.getByTestId('selected-count')).toHaveText(`${BOOKS.length} selected`);
  await shot(page, 'gutenberg-screen');

  await page.getByTestId('start').click();
  await expect(page.getByTestId('screen-live')).toBeVisible();
  await expect(page.getByTestId('lanes').locator('.lane')).toHaveCount(4);
  // Charts are fed while the job runs.
  await expect.poll(async () => Number(await page.getByTestId('throughput-chart').getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThan(1);
  await expect(page.getByTestId('run-status')).toHaveText(/failed|succeeded/, { timeout: 60_000 });
  await expect.poll(async () => Number(await page.getByTestId('gantt').getAttribute('data-spans'))).toBeGreaterThan(0);

  // Every book but the missing one arrived; the missing one shows its error.
  await expect(page.getByTestId('run-progress')).toHaveText(`${BOOKS.length} / ${BOOKS.length}`);
  await expect(page.getByTestId('run-errors')).toHaveText('1');
  await expect(page.getByTestId('failures')).toContainText(String(MISSING_BOOK));
  await expect(page.getByTestId('failures')).toContainText('BOOK_NOT_FOUND');
  const clean = await readdir(join(outDir, 'clean'));
  expect(clean.filter((f) => f.endsWith('.txt'))).toHaveLength(BOOKS.length - 1);
  // Every lane did some work.
  for (let w = 0; w < 4; w++) await expect(page.getByTestId(`lane-${w}-items`)).not.toHaveText('0 items');
  await shot(page, 'live-run-finished');
});

test('pause and resume a running job', async ({ app: page, env }) => {
  const outDir = join(env.dir, 'out-pause');
  await fillGutenbergForm(page, env, { mirror: env.slowHttpUrl, outDir, workers: 2 });
  await page.getByTestId('select-all').click();
  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-status')).toHaveText('running');
  await expect.poll(async () => Number((await page.getByTestId('run-progress').textContent())?.split('/')[0]), { timeout: 30_000 }).toBeGreaterThan(0);
  await shot(page, 'live-run-running');

  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-status')).toHaveText('paused');
  await expect(page.getByTestId('resume')).toBeVisible();
  // Items in flight may finish; after that nothing moves while paused.
  await page.waitForTimeout(1500);
  const atPause = await page.getByTestId('run-progress').textContent();
  await page.waitForTimeout(1500);
  await expect(page.getByTestId('run-progress')).toHaveText(atPause!);
  await shot(page, 'live-run-paused');

  await page.getByTestId('resume').click();
  await expect(page.getByTestId('run-status')).toHaveText(/running|failed|succeeded/);
  await expect(page.getByTestId('run-status')).toHaveText(/failed|succeeded/, { timeout: 60_000 });
  await expect(page.getByTestId('run-progress')).toHaveText(`${BOOKS.length} / ${BOOKS.length}`);
});

test('cancel a running job', async ({ app: page, env }) => {
  const outDir = join(env.dir, 'out-cancel');
  await fillGutenbergForm(page, env, { mirror: env.slowHttpUrl, outDir, workers: 2 });
  await page.getByTestId('select-all').click();
  await page.getByTestId('start').click();
  await expect.poll(async () => Number((await page.getByTestId('run-progress').textContent())?.split('/')[0]), { timeout: 30_000 }).toBeGreaterThan(0);
  await page.getByTestId('cancel').click();
  await expect(page.getByTestId('run-status')).toHaveText('cancelled', { timeout: 20_000 });
  const done = Number((await page.getByTestId('run-progress').textContent())?.split('/')[0]);
  expect(done).toBeLessThan(BOOKS.length);
  await expect(page.getByTestId('pause')).toHaveCount(0);
  await shot(page, 'live-run-cancelled');
});

test('the speedup lab runs a sample and draws the chart', async ({ app: page, env }) => {
  await fillGutenbergForm(page, env, { mirror: env.slowHttpUrl, outDir: join(env.dir, 'out-lab'), workers: 4 });
  await page.getByTestId('nav-lab').click();
  await page.getByTestId('lab-strategy-adaptive').uncheck();
  await page.getByTestId('lab-workers-8').uncheck();
  await page.getByTestId('lab-workers-16').uncheck();
  await page.getByTestId('lab-sample').fill('8');
  await page.getByTestId('lab-run').click();
  await expect(page.getByTestId('lab-status')).toHaveText('succeeded', { timeout: 80_000 });
  await expect(page.getByTestId('lab-table').locator('tbody tr')).toHaveCount(3);
  await expect(page.getByTestId('lab-p')).toContainText('p = ');
  await expect(page.getByTestId('lab-recommended')).toContainText('workers');
  await expect(page.getByTestId('speedup-chart').locator('canvas')).toBeVisible();
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('lab-csv').click()]);
  expect(csv.suggestedFilename()).toBe('fanout-speedup.csv');
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('lab-png').click()]);
  expect(png.suggestedFilename()).toBe('fanout-speedup.png');
  await shot(page, 'speedup-lab');
});

test('history lists past runs and opens one in the live view', async ({ app: page }) => {
  await page.getByTestId('nav-history').click();
  await expect(page.getByTestId('history-row').first()).toBeVisible();
  expect(await page.getByTestId('history-row').count()).toBeGreaterThanOrEqual(3);
  await shot(page, 'history');
  await page.getByTestId('history-row').last().getByRole('button', { name: 'Open' }).click();
  await expect(page.getByTestId('screen-live')).toBeVisible();
  await expect(page.getByTestId('run-status')).toContainText('replay');
  await expect.poll(async () => Number(await page.getByTestId('gantt').getAttribute('data-spans'))).toBeGreaterThan(0);
  await shot(page, 'history-replay');
});

