import { BOOKS, expect, shot, test } from './support/fixtures';

test('download the official catalog from the mirror (HTTP and FTP), and a mirror without one', async ({ app: page, env }) => {
  await page.getByTestId('nav-gutenberg').click();
  const count = page.getByTestId('catalog-count');

  // HTTP mirror: cache/epub/feeds/pg_catalog.csv is fetched into the data dir, then loaded.
  await page.getByTestId('mirror-url').fill(env.http.url);
  await page.getByTestId('catalog-download').click();
  await expect(count).toContainText(`${BOOKS.length} of ${BOOKS.length} books`);
  await expect(page.getByTestId('catalog-path')).toHaveValue(/catalogs\/pg_catalog-127\.0\.0\.1-\d+\.csv$/);
  await expect(page.getByTestId('catalog-download-progress')).toHaveCount(0);
  await page.getByTestId('catalog-search').fill('verne');
  await expect(count).toContainText(`20 of ${BOOKS.length} books`);
  await shot(page, 'gutenberg-catalog-from-mirror');
  await page.getByTestId('catalog-search').fill('');

  // The same through FTP.
  await page.getByTestId('mirror-url').fill(env.ftp.url);
  await page.getByTestId('catalog-download').click();
  await expect(count).toContainText(`${BOOKS.length} of ${BOOKS.length} books`);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);

  // A mirror without the catalog says so, with the URL it tried.
  await page.getByTestId('mirror-url').fill(`${env.http.url.replace(/\/$/, '')}/no-such-mirror/`);
  await page.getByTestId('catalog-download').click();
  await expect(page.getByTestId('error-banner')).toContainText('HTTP_NOT_FOUND: This mirror has no catalog at ');
  await expect(page.getByTestId('error-banner')).toContainText('/no-such-mirror/cache/epub/feeds/pg_catalog.csv');
  await shot(page, 'gutenberg-catalog-missing');
  // The catalog loaded before stays usable.
  await expect(count).toContainText(`of ${BOOKS.length} books`);
});
