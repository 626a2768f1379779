/**
 * The page of `fanout serve` reloaded (or opened in a second tab) while a job runs: the job runs on
 * in the host, so the page must find it again, with its controls, and a re-run must finish it.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOKS, expect, fillGutenbergForm, holdBooks, shot, test } from './support/fixtures';

const doneCount = async (text: string | null) => Number(text?.split('/')[0]);

test('a page reloaded mid-job shows the running job with its controls; a second tab cancels it, then a re-run finishes it', async ({ app: page, env }) => {
  const outDir = join(env.dir, 'out-reload');
  await fillGutenbergForm(page, env, { mirror: env.slowHttpUrl, outDir, workers: 2, limitRate: '128k' }); // ~4 MB: about 30 s
  await page.getByTestId('select-all').click();
  // Books 120-139 held by the mirror until the cancel: the job runs through the reload and the second tab, however slow the machine.
  const held = holdBooks(env);
  try {
    await page.getByTestId('start').click();
    await expect.poll(async () => doneCount(await page.getByTestId('run-progress').textContent()), { timeout: 30_000 }).toBeGreaterThan(0);
    // Paused, a job has nothing to report: the reloaded page must still know it is there.
    await page.getByTestId('pause').click();
    await expect(page.getByTestId('run-status')).toHaveText('paused');
    // Paused, no frame comes: the header does not keep the last rate and ETA as if it still moved.
    await expect(page.getByTestId('run-throughput')).toHaveText('0 B/s (paused)');
    await expect(page.getByTestId('run-eta')).toHaveText('— (paused)');

    // The job runs in the host, and the page says so: a reload is not asked about (no 'Reload site?'), it re-attaches.
    await expect(page.getByTestId('runs-on-host')).toContainText('closing or reloading the page does not stop it');
    const asked: string[] = [];
    page.on('dialog', (d) => {
      asked.push(d.type());
      void d.accept();
    });
    await page.reload();
    await expect(page.locator('body[data-ready="1"]')).toBeAttached();
    expect(asked).toEqual([]);
    // The page goes to the running job by itself, as it was: paused, a Gutenberg job (its cap control), with its numbers.
    await expect(page.getByTestId('screen-live')).toBeVisible();
    await expect(page.getByTestId('run-status')).toHaveText('paused');
    await expect(page.getByTestId('resume')).toBeVisible();
    await expect(page.getByTestId('rate-cap')).toBeVisible();
    expect(await doneCount(await page.getByTestId('run-progress').textContent())).toBeGreaterThan(0);
    await expect(page.getByTestId('run-progress')).toContainText(`/ ${BOOKS.length}`);
    // The timeline runs from the job's start (the host's recording so far), not from the reload.
    await expect(page.getByTestId('gantt')).toHaveAttribute('data-unseen-ms', '0');
    await expect.poll(async () => Number(await page.getByTestId('gantt').getAttribute('data-first-ms') || Infinity)).toBeLessThan(1000);
    await shot(page, 'live-run-after-reload');
    // A second job cannot be started over it from this page either.
    await page.getByTestId('nav-gutenberg').click();
    await expect(page.getByTestId('start')).toBeDisabled();
    await page.getByRole('button', { name: 'Show the running job' }).click();

    await expect(page.getByTestId('run-throughput')).toHaveText('0 B/s (paused)');
    await page.getByTestId('resume').click();
    await expect(page.getByTestId('run-status')).toHaveText('running');
    await expect(page.getByTestId('run-throughput')).toHaveText(/^[\d.]+ [KMG]?i?B\/s$/);
    // A second tab finds the job too, and can stop it; this tab sees it end.
    const second = await page.context().newPage();
    await second.goto(env.serve.url);
    await expect(second.getByTestId('run-status')).toHaveText('running');
    await second.getByTestId('cancel').click();
    await expect(second.getByTestId('run-status')).toHaveText('cancelled', { timeout: 30_000 });
    await second.close();
    await expect(page.getByTestId('run-status')).toHaveText('cancelled', { timeout: 30_000 });
  } finally {
    held.release();
  }
  await expect(page.getByTestId('run-stopped')).toContainText('Start the same job again');
  const before = await doneCount(await page.getByTestId('run-progress').textContent());
  expect(before).toBeLessThan(BOOKS.length);

  // The same job again, uncapped: what is done is skipped, the rest is fetched, the missing book fails.
  await page.getByTestId('nav-gutenberg').click();
  await page.getByTestId('catalog-load').click();
  await expect(page.getByTestId('catalog-count')).toContainText(`${BOOKS.length} of ${BOOKS.length} books`);
  await page.getByTestId('select-all').click();
  await page.getByTestId('limit-rate').fill('');
  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-status')).toHaveText('failed', { timeout: 60_000 });
  await expect(page.getByTestId('run-progress')).toHaveText(`${BOOKS.length} / ${BOOKS.length}`);
  await expect(page.getByTestId('run-errors')).toHaveText('1');
  const clean = await readdir(join(outDir, 'clean'));
  expect(clean.filter((f) => f.endsWith('.txt'))).toHaveLength(BOOKS.length - 1);
});

test('a lab and a job do not run at once (each would be in the other\'s timings); a lab running across a reload can still be cancelled', async ({ app: page, env }) => {
  await fillGutenbergForm(page, env, { mirror: env.slowHttpUrl, outDir: join(env.dir, 'out-lab-gate'), workers: 2, limitRate: '128k' });
  await page.getByTestId('select-all').click();
  const heldJob = holdBooks(env); // still running when the lab is tried, however slow the machine
  try {
    await page.getByTestId('start').click();
    await expect.poll(async () => doneCount(await page.getByTestId('run-progress').textContent()), { timeout: 30_000 }).toBeGreaterThan(0);
    // A job runs: the lab says why it cannot run now.
    await page.getByTestId('nav-lab').click();
    await expect(page.getByTestId('lab-run')).toBeDisabled();
    await expect(page.getByTestId('lab-blocked')).toContainText('A job is running');
    await page.getByTestId('nav-live').click();
    await page.getByTestId('cancel').click();
    await expect(page.getByTestId('run-status')).toHaveText('cancelled', { timeout: 30_000 });
  } finally {
    heldJob.release();
  }

  // A lab of three cells under the same cap (each a few seconds): no job starts beside it.
  await page.getByTestId('nav-lab').click();
  await expect(page.getByTestId('lab-blocked')).toHaveCount(0);
  await page.getByTestId('lab-strategy-adaptive').uncheck();
  await page.getByTestId('lab-workers-8').uncheck();
  await page.getByTestId('lab-workers-16').uncheck();
  await page.getByTestId('lab-sample').fill('8');
  await page.getByTestId('lab-repeats').fill('1');
  await page.getByTestId('lab-run').click();
  await expect(page.getByTestId('lab-status')).toHaveText(/^running/);
  await page.getByTestId('nav-gutenberg').click();
  await expect(page.getByTestId('start')).toBeDisabled();
  await expect(page.getByTestId('start-blocked')).toContainText('A lab is running');

  // Reloaded mid-lab once a cell is measured (not asked, as over a job): the page takes the lab up from the host
  // whole (its measured cells, its progress, Cancel), not as a bare 'a lab is running'.
  await page.getByTestId('nav-lab').click();
  await expect(page.getByTestId('runs-on-host')).toContainText('The lab runs in fanout serve');
  await expect(page.getByTestId('lab-status')).toHaveText(/^running [12]\/3$/, { timeout: 60_000 });
  // A cell is left to run: from now on the mirror holds every book, so the lab is still running after the reload, however slow the machine.
  const heldLab = holdBooks(env, BOOKS.filter((b) => b.files.length > 0).map((b) => b.ebook));
  try {
    const asked: string[] = [];
    page.on('dialog', (d) => {
      asked.push(d.type());
      void d.accept();
    });
    await page.reload();
    await expect(page.locator('body[data-ready="1"]')).toBeAttached();
    expect(asked).toEqual([]);
    await page.getByTestId('nav-lab').click();
    await expect(page.getByTestId('lab-status')).toHaveText(/^running [123]\/3$/);
    await expect(page.getByTestId('lab-foreign')).toHaveCount(0);
    await expect(page.getByTestId('lab-run')).toBeDisabled();
    await page.getByTestId('lab-cancel').click();
    await expect(page.getByTestId('lab-status')).toHaveText('cancelled', { timeout: 30_000 });
  } finally {
    heldLab.release();
  }
  await page.getByTestId('nav-gutenberg').click();
  await page.getByTestId('catalog-load').click(); // the remembered catalog: the lab's Run needs one
  await expect(page.getByTestId('catalog-count')).toContainText(`${BOOKS.length} of ${BOOKS.length} books`);
  await page.getByTestId('nav-lab').click();
  await expect(page.getByTestId('lab-run')).toBeEnabled();
});
