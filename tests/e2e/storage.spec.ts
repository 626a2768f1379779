/**
 * A disk that fills up mid-job, as the person at the form meets it: the job stops and says why, in
 * words, naming the folder; after space is freed, the same Start finishes the job, fetching only
 * what is missing. A real tmpfs (tests/harness/tmpfs.ts); skipped loudly where it cannot be mounted.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mountTmpfs, skipWithoutTmpfs, type Tmpfs } from '../harness/tmpfs';
import { BOOKS, expect, fillGutenbergForm, shot, test } from './support/fixtures';

let disk: Tmpfs | null = null;
test.afterAll(async () => {
  await disk?.unmount();
});

test('a full disk stops the job with DISK_FULL naming the folder; after freeing space the same Start finishes it', async ({ app: page, env }) => {
  test.skip(await skipWithoutTmpfs(), 'tmpfs cannot be mounted here');
  disk = await mountTmpfs(1024 * 1024); // room for a few of the 40 books (60-140 KB raw, as much again cleaned)
  const outDir = join(disk.dir, 'corpus');
  await fillGutenbergForm(page, env, { mirror: env.http.url, outDir, workers: 2 });
  await page.getByTestId('select-all').click();
  await page.getByTestId('start').click();
  await expect(page.getByTestId('screen-live')).toBeVisible();
  await expect(page.getByTestId('run-status')).toHaveText('failed', { timeout: 60_000 });
  const failure = page.getByTestId('failure').filter({ hasText: 'DISK_FULL' }).first();
  await expect(failure).toContainText(outDir);
  // Why it stopped, and what to do, at the top of the view (the errors panel is below the charts).
  await expect(page.getByTestId('run-stopped')).toContainText('DISK_FULL');
  await expect(page.getByTestId('run-stopped')).toContainText(`The disk holding ${outDir} is full`);
  const done = Number((await page.getByTestId('run-progress').textContent())?.split('/')[0]);
  expect(done).toBeLessThan(BOOKS.length);
  await shot(page, 'live-run-disk-full');
  // The History row says what stopped it and how much of the pick was done (it read 'failed', '5/0/0').
  await page.getByTestId('nav-history').click();
  const row = page.getByTestId('history-row').first();
  await expect(row.getByTestId('history-status')).toHaveText('failed (DISK_FULL)');
  // done/failed/skipped add up to the live view's count (the missing book may have failed before the disk filled).
  const [d, f, s, of] = ((await row.getByTestId('history-items').textContent()) ?? '').match(/^(\d+)\/(\d+)\/(\d+) of (\d+)$/)!.slice(1).map(Number);
  expect([d! + f! + s!, of]).toEqual([done, BOOKS.length]);
  await expect(row).toContainText(outDir);

  // Space freed: the same job again finishes, the books already on disk are skipped.
  await disk.resize(64 * 1024 * 1024);
  await page.getByTestId('nav-gutenberg').click();
  await page.getByTestId('catalog-load').click();
  await expect(page.getByTestId('catalog-count')).toContainText(`${BOOKS.length} of ${BOOKS.length} books`);
  await page.getByTestId('select-all').click();
  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-status')).toHaveText('failed', { timeout: 60_000 }); // the mirror lacks one book
  await expect(page.getByTestId('run-progress')).toHaveText(`${BOOKS.length} / ${BOOKS.length}`);
  await expect(page.getByTestId('run-errors')).toHaveText('1');
  await expect(page.getByTestId('error-counts')).toHaveAttribute('data-codes', 'BOOK_NOT_FOUND:1');
  const clean = await readdir(join(outDir, 'clean'));
  expect(clean.filter((f) => f.endsWith('.txt'))).toHaveLength(BOOKS.length - 1);
});
