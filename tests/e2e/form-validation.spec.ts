/**
 * The forms with the mistakes people make: each problem appears under its field, in the words the
 * CLI prints after the option's name, and nothing starts and nothing is written.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOKS, expect, fillGutenbergForm, test } from './support/fixtures';

test('the Gutenberg form shows each bad input under its field and starts nothing', async ({ app: page, env }) => {
  const out = join(env.dir, 'form-out');
  await mkdir(join(env.dir, 'form'), { recursive: true });
  const notACatalog = join(env.dir, 'form', 'passwd');
  await writeFile(notACatalog, 'root:x:0:0:root:/root:/bin/bash\n');
  const empty = join(env.dir, 'form', 'empty.csv');
  await writeFile(empty, '');
  await page.getByTestId('nav-gutenberg').click();
  const catalogError = page.getByTestId('error-catalog');

  // The catalog: checked in the form (absolute path), then by the host (exists, a file, a catalog).
  const cases: Array<[string, string]> = [
    ['pg_catalog.csv', 'Is not an absolute path; give the full path (e.g. /home/me/fanout)'],
    [join(env.dir, 'nope.csv'), `${join(env.dir, 'nope.csv')}: no such file; check the path`],
    [env.dir, `${env.dir}: is a folder, not a file; give the path of a file`],
    [empty, `${empty}: is empty; give a file with something in it`],
    [notACatalog, 'Not a catalog: its first line has 1 field, neither the pg_catalog.csv header'],
  ];
  for (const [path, message] of cases) {
    await page.getByTestId('catalog-path').fill(path);
    await page.getByTestId('catalog-load').click();
    await expect(catalogError).toContainText(message);
    await expect(page.getByTestId('catalog-path')).toHaveAttribute('aria-invalid', 'true');
  }
  // Editing the field clears its problem; a good catalog loads.
  await page.getByTestId('catalog-path').fill(env.catalogPath);
  await expect(catalogError).toHaveCount(0);
  await page.getByTestId('catalog-load').click();
  await expect(page.getByTestId('catalog-count')).toContainText(`${BOOKS.length} of ${BOOKS.length} books`);
  await page.getByTestId('select-all').click();

  // The mirror: checked as the user leaves the field, and again by the host at Start.
  const mirror = page.getByTestId('mirror-url');
  await mirror.fill('gopher://127.0.0.1/');
  await mirror.blur();
  await expect(page.getByTestId('error-mirror')).toHaveText('Is a gopher:// URL; a mirror is ftp://, ftps://, http:// or https://');
  await mirror.fill('http://127.0.0.1/ gutenberg/');
  await mirror.blur();
  await expect(page.getByTestId('error-mirror')).toHaveText('Contains a space; write a space inside a URL as %20, and quote the URL in a shell');

  // Connections per server and the per-book timeout: checked as the user leaves them, as the CLI checks --max-per-host and --item-timeout.
  const perHost = page.getByTestId('max-per-host');
  await perHost.fill('0');
  await perHost.blur();
  await expect(page.getByTestId('error-maxPerHost')).toHaveText('0 is out of range; give a whole number from 1 to 64');
  await expect(perHost).toHaveAttribute('aria-invalid', 'true');
  const itemTimeout = page.getByTestId('item-timeout');
  await itemTimeout.fill('5min');
  await itemTimeout.blur();
  await expect(page.getByTestId('error-itemTimeoutMs')).toHaveText('"5min" is not a timeout from 100ms to 3600s');
  // Good values clear them (and pass the host's check at Start below).
  await perHost.fill('2');
  await itemTimeout.fill('30s');
  await itemTimeout.blur();
  await expect(page.getByTestId('error-maxPerHost')).toHaveCount(0);
  await expect(page.getByTestId('error-itemTimeoutMs')).toHaveCount(0);

  // Start with two bad fields: both shown by the host's check, nothing started.
  await mirror.fill('https://me:hunter2@127.0.0.1/');
  await page.getByTestId('out-dir').fill(env.catalogPath);
  await page.getByTestId('start').click();
  await expect(page.getByTestId('error-mirror')).toHaveText('Carries a user name or password; HTTP mirrors are public: drop the "user:password@" part');
  await expect(page.getByTestId('error-outDir')).toHaveText('Is a file, not a folder; give a folder');
  await expect(page.getByTestId('error-maxPerHost')).toHaveCount(0);
  await expect(page.getByTestId('error-itemTimeoutMs')).toHaveCount(0);
  await expect(page.getByTestId('screen-gutenberg')).toBeVisible();

  // A relative output folder, then one that cannot be created.
  await mirror.fill(env.http.url);
  await page.getByTestId('out-dir').fill('downloads');
  await page.getByTestId('out-dir').blur();
  await expect(page.getByTestId('error-outDir')).toHaveText('Is not an absolute path; give the full path (e.g. /home/me/fanout)');
  await page.getByTestId('out-dir').fill(join(env.catalogPath, 'out'));
  await page.getByTestId('start').click();
  await expect(page.getByTestId('error-outDir')).toHaveText(`Cannot be created: ${env.catalogPath} is a file, not a folder; give another folder`);
  await expect(page.getByTestId('error-mirror')).toHaveCount(0);
  await expect(page.getByTestId('screen-gutenberg')).toBeVisible();
  expect(existsSync(out)).toBe(false);
  expect((await readdir(join(env.dir, 'form'))).sort()).toEqual(['empty.csv', 'passwd']);
});

test('Connections per server holds a 4-worker run to one connection to the mirror', async ({ app: page, env }) => {
  const outDir = join(env.dir, 'form-per-host');
  await fillGutenbergForm(page, env, { mirror: env.http.url, outDir, workers: 4 });
  await page.getByTestId('max-per-host').fill('1');
  for (const ebook of [100, 101, 102, 103]) await page.getByTestId(`catalog-row-${ebook}`).click();
  await expect(page.getByTestId('selected-count')).toHaveText('4 selected');
  const before = env.http.connections();
  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-status')).toHaveText('succeeded', { timeout: 60_000 });
  // Four workers, one connection: the server accepted exactly one for the whole run.
  expect(env.http.connections() - before).toBe(1);
  expect((await readdir(join(outDir, 'clean'))).filter((f) => f.endsWith('.txt'))).toHaveLength(4);
});

test('the web host answers /favicon.ico with "no icon", so a page load logs no error', async ({ page, env }) => {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const favicon = await page.request.get(`${env.serve.origin}/favicon.ico`);
  expect(favicon.status()).toBe(204);
  await page.goto(env.serve.url);
  await expect(page.locator('body[data-ready="1"]')).toBeAttached();
  await page.getByTestId('nav-gutenberg').click();
  expect(errors).toEqual([]);
});

test('the mail form shows a bad host under its field and does not try to connect', async ({ app: page }) => {
  await page.getByTestId('nav-mail').click();
  const host = page.getByTestId('mail-host');
  // A disabled Test says what it waits for.
  await host.fill('');
  await page.getByTestId('mail-user').fill('');
  await expect(page.getByTestId('mail-test')).toBeDisabled();
  await expect(page.getByTestId('mail-test-why')).toHaveText('To test: give the IMAP host, the user and the password.');
  await host.fill('imap://127.0.0.1:993');
  await host.blur();
  await expect(page.getByTestId('error-mail-host')).toHaveText('Is a URL; give the host name only (e.g. imap.example.com) and the port separately');
  await expect(host).toHaveAttribute('aria-invalid', 'true');
  await host.fill('imap example.com');
  await expect(page.getByTestId('error-mail-host')).toHaveCount(0);
  await page.getByTestId('mail-user').fill('me');
  await page.getByTestId('mail-password').fill('pw');
  await expect(page.getByTestId('mail-test-why')).toHaveCount(0);
  await page.getByTestId('mail-test').click();
  await expect(page.getByTestId('error-mail-host')).toHaveText('Is not a host name (it has a space, "/" or "@"); give the server name only, e.g. imap.example.com');
  await expect(page.getByTestId('mail-status')).toHaveText('');
});

test('a disabled Start says what is missing: a catalog, books (a search that matches nothing), a mirror, a folder', async ({ app: page, env }) => {
  await page.getByTestId('nav-gutenberg').click();
  const why = page.getByTestId('start-why');
  await page.getByTestId('mirror-url').fill('');
  await page.getByTestId('out-dir').fill('');
  await expect(page.getByTestId('start')).toBeDisabled();
  await expect(why).toHaveText('To start: load a catalog, select books, give a mirror URL and an output folder.');
  await page.getByTestId('catalog-path').fill(env.catalogPath);
  await page.getByTestId('catalog-load').click();
  await expect(page.getByTestId('catalog-count')).toContainText(`${BOOKS.length} of ${BOOKS.length} books`);
  await page.getByTestId('catalog-search').fill('no such book anywhere');
  await expect(page.getByTestId('catalog-count')).toContainText(`0 of ${BOOKS.length} books`);
  await page.getByTestId('select-all').click();
  await expect(page.getByTestId('selected-count')).toHaveText('0 selected');
  await expect(why).toHaveText('To start: select books (no book matches the search), give a mirror URL and an output folder.');
  await page.getByTestId('catalog-search').fill('');
  await page.getByTestId('catalog-row-100').click();
  await page.getByTestId('mirror-url').fill(env.http.url);
  await expect(why).toHaveText('To start: give an output folder.');
  await page.getByTestId('out-dir').fill(join(env.dir, 'form-why'));
  await expect(why).toHaveCount(0);
  await expect(page.getByTestId('start')).toBeEnabled();
});

test('the Gutenberg form is as it was left after another screen, and a catalog that fails to load does not pass for the one shown', async ({ app: page, env }) => {
  await fillGutenbergForm(page, env, { mirror: env.slowHttpUrl, outDir: join(env.dir, 'kept-out'), workers: 4 });
  await page.getByTestId('proxy').fill('none');
  await page.getByTestId('auto-workers').check();
  await page.getByTestId('catalog-search').fill('austen');
  await expect(page.getByTestId('catalog-count')).toContainText(`20 of ${BOOKS.length} books`);
  // "Auto" reads as the checkbox's label: on its line, right of it (it sat below, a column away).
  type Rect = { x: number; y: number; height: number };
  type Input = { parentElement: unknown; getBoundingClientRect(): Rect; ownerDocument: { createRange(): { selectNodeContents(n: unknown): void; setStartAfter(n: unknown): void; getBoundingClientRect(): Rect } } };
  const { box, text } = await page.getByTestId('auto-workers').evaluate((el) => {
    const input = el as unknown as Input; // the text after the checkbox, inside its label
    const range = input.ownerDocument.createRange();
    range.selectNodeContents(input.parentElement);
    range.setStartAfter(input);
    const r = (e: Rect) => ({ x: e.x, y: e.y + e.height / 2, h: e.height });
    return { box: r(input.getBoundingClientRect()), text: r(range.getBoundingClientRect()) };
  });
  expect(Math.abs(text.y - box.y)).toBeLessThan(box.h);
  expect(text.x).toBeGreaterThan(box.x);
  await page.getByTestId('nav-mail').click();
  await page.getByTestId('nav-gutenberg').click();
  // Leaving the screen kept the proxy, Auto and the search (they came back empty: the "same" Start went without the proxy).
  await expect(page.getByTestId('proxy')).toHaveValue('none');
  await expect(page.getByTestId('auto-workers')).toBeChecked();
  await expect(page.getByTestId('catalog-search')).toHaveValue('austen');
  await expect(page.getByTestId('catalog-count')).toContainText(`20 of ${BOOKS.length} books`);

  // The table names the catalog it shows; a file that fails to load leaves it, and says it is not the one named above.
  await expect(page.getByTestId('catalog-shown')).toHaveText(`in ${env.catalogPath}`);
  const bad = join(env.dir, 'not-a-catalog.csv');
  await writeFile(bad, 'id,title\nx,y\n');
  await page.getByTestId('catalog-path').fill(bad);
  await page.getByTestId('catalog-load').click();
  // A header found by name now (8639161): this one lacks the ebook number's column, and says so.
  await expect(page.getByTestId('error-catalog')).toContainText('Not a usable catalog: its header (id,title) has no FileNumber column');
  await expect(page.getByTestId('catalog-shown')).toHaveText(`in ${env.catalogPath}, not the file named above (it did not load): Start uses this one`);
});
