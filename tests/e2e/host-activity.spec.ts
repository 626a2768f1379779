/**
 * What a page of `fanout serve` misses while it is reloaded or disconnected, and what a second page
 * can start over a running one: the host keeps running its job, lab and catalog download, so the
 * page asks it at load and reconnect; it refuses a second job or lab whoever asks; and closing the
 * last page is not asked about: the job runs on, and the next page opened takes it up.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page, WebSocketRoute } from '@playwright/test';
import { BOOKS, expect, fillGutenbergForm, holdBooks, test } from './support/fixtures';

/**
 * Routes the page's WebSocket through the test: `drop` says which host messages the page does not
 * get (as if sent while it was away); `cut()` closes the page's socket, and the page reconnects.
 */
async function routeHost(page: Page, drop: (msg: { t: string; name?: string; payload?: { kind?: string } }) => boolean) {
  const sockets: WebSocketRoute[] = [];
  const dropped: string[] = [];
  await page.routeWebSocket(/\/ws/, (ws) => {
    sockets.push(ws);
    const server = ws.connectToServer();
    ws.onMessage((m) => server.send(m));
    server.onMessage((m) => {
      const msg = JSON.parse(String(m)) as { t: string; name?: string; payload?: { kind?: string } };
      if (drop(msg)) dropped.push(msg.payload?.kind ?? msg.t);
      else ws.send(m);
    });
  });
  return { dropped, cut: async () => Promise.all(sockets.splice(0).map((s) => s.close())) };
}

/** A mirror whose catalog download sends half, then waits for `end('finish' | 'cut')`. */
async function gatedCatalogMirror(csv: string): Promise<{ url: string; end: (how: 'finish' | 'cut') => void; close: () => Promise<void> }> {
  const held: ServerResponse[] = [];
  let how: 'finish' | 'cut' | null = null;
  const body = Buffer.from(csv);
  const finish = (res: ServerResponse) => (how === 'finish' ? res.end(body.subarray(body.length >> 1)) : res.destroy());
  const server: Server = createServer((req, res) => {
    if (!req.url?.endsWith('/cache/epub/feeds/pg_catalog.csv')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(body.length) });
    res.write(body.subarray(0, body.length >> 1));
    if (how) finish(res);
    else held.push(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    end: (h) => {
      how = h;
      for (const res of held.splice(0)) finish(res);
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const catalogCsv = (n: number) => ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...Array.from({ length: n }, (_, i) => `${i + 1},Text,2001-01-01,Book ${i + 1},en,"Writer, A",Fiction,PR,Test`), ''].join('\n');

test('a catalog download across a page reload: the page shows it running, then its catalog, or its failure', async ({ app: page }) => {
  const mirror = await gatedCatalogMirror(catalogCsv(300));
  try {
    await page.getByTestId('nav-gutenberg').click();
    await page.getByTestId('mirror-url').fill(mirror.url);
    await page.getByTestId('catalog-download').click();
    await expect(page.getByTestId('catalog-download-progress')).toContainText('Downloading');

    await page.reload();
    await expect(page.locator('body[data-ready="1"]')).toBeAttached();
    await page.getByTestId('nav-gutenberg').click();
    // Still downloading on the host: the reloaded page says so, and can cancel it.
    await expect(page.getByTestId('catalog-download-progress')).toContainText('Downloading');
    await expect(page.getByTestId('catalog-download-cancel')).toBeVisible();
    mirror.end('finish');
    await expect(page.getByTestId('catalog-count')).toContainText('300 of 300 books');
    await expect(page.getByTestId('catalog-path')).toHaveValue(/catalogs\/pg_catalog-127\.0\.0\.1-\d+\.csv$/);
    await expect(page.getByTestId('catalog-download-progress')).toHaveCount(0);
  } finally {
    await mirror.close();
  }

  // Cut short while the page is reloaded: the reloaded page shows the failure, not 'Downloading' for ever.
  const cut = await gatedCatalogMirror(catalogCsv(50));
  try {
    await page.getByTestId('mirror-url').fill(cut.url);
    await page.getByTestId('catalog-download').click();
    await expect(page.getByTestId('catalog-download-progress')).toContainText('Downloading');
    await page.reload();
    await expect(page.locator('body[data-ready="1"]')).toBeAttached();
    await page.getByTestId('nav-gutenberg').click();
    await expect(page.getByTestId('catalog-download-progress')).toBeVisible();
    cut.end('cut');
    await expect(page.getByTestId('error-banner')).toContainText('Could not download the catalog');
    await expect(page.getByTestId('catalog-download-progress')).toHaveCount(0);
  } finally {
    await cut.close();
  }
});

test('a lab whose end the page missed (disconnected) no longer keeps Start disabled once the page is back', async ({ app: page, env }) => {
  let dropEnds = true;
  const host = await routeHost(page, (m) => dropEnds && m.t === 'event' && m.payload?.kind === 'lab:finished');
  await page.reload(); // through the route from now on
  await expect(page.locator('body[data-ready="1"]')).toBeAttached();
  await fillGutenbergForm(page, env, { mirror: env.http.url, outDir: join(env.dir, 'out-lab-missed'), workers: 1 });
  await page.getByTestId('nav-lab').click();
  await page.getByTestId('lab-strategy-adaptive').uncheck();
  for (const n of [2, 4, 8, 16]) await page.getByTestId(`lab-workers-${n}`).uncheck();
  await page.getByTestId('lab-sample').fill('1');
  await page.getByTestId('lab-run').click();
  await expect.poll(() => host.dropped.length, { timeout: 60_000 }).toBe(1);
  await page.getByTestId('nav-gutenberg').click();
  await expect(page.getByTestId('start-blocked')).toContainText('A lab is running');

  // The connection drops and comes back: the page asks the host, and learns the lab ended.
  dropEnds = false;
  await host.cut();
  await expect(page.getByTestId('start-blocked')).toHaveCount(0, { timeout: 30_000 });
  await page.getByTestId('select-all').click();
  await expect(page.getByTestId('start')).toBeEnabled();
  await page.getByTestId('nav-lab').click();
  await expect(page.getByTestId('lab-status')).toHaveText('succeeded');
});

test('a second page that did not hear of the running job is refused by the host (BUSY), says why, then shows the job', async ({ app: page, env }) => {
  await fillGutenbergForm(page, env, { mirror: env.slowHttpUrl, outDir: join(env.dir, 'out-busy-a'), workers: 2, limitRate: '64k' });
  await page.getByTestId('select-all').click();

  // The second page hears no job event: for it the host looks idle (the moment two pages both see it so).
  const second = await page.context().newPage();
  await routeHost(second, (m) => m.t === 'event' && m.name === 'job:event');
  await second.goto(env.serve.url);
  await expect(second.locator('body[data-ready="1"]')).toBeAttached();
  await fillGutenbergForm(second, env, { mirror: env.http.url, outDir: join(env.dir, 'out-busy-b'), workers: 1 });
  await second.getByTestId('select-all').click();

  const held = holdBooks(env); // the first job still runs when the second page asks, however slow the machine
  try {
    await page.getByTestId('start').click();
    await expect(page.getByTestId('run-status')).toHaveText('running');
    await expect(second.getByTestId('start')).toBeEnabled();
    await second.getByTestId('start').click();
    await expect(second.getByTestId('error-banner')).toContainText('Could not start: BUSY: A job is running: gutenberg-');
    // Refused, the page asks the host again: Start is now disabled while that job runs.
    await expect(second.getByTestId('start')).toBeDisabled();
    await expect(second.getByRole('button', { name: 'Show the running job' })).toBeVisible();
    // And a lab is refused the same way.
    await second.close();

    await page.getByTestId('cancel').click();
    await expect(page.getByTestId('run-status')).toHaveText('cancelled', { timeout: 30_000 });
  } finally {
    held.release();
  }
  expect(BOOKS.length).toBeGreaterThan(1);
});

test('the last page closed mid-job: not asked (the job runs in the host), the job runs on, and a page opened again takes it up', async ({ app: page, env }) => {
  await fillGutenbergForm(page, env, { mirror: env.slowHttpUrl, outDir: join(env.dir, 'out-leave'), workers: 2, limitRate: '64k' });
  await page.getByTestId('select-all').click();
  const held = holdBooks(env); // still running when a page is opened again, however slow the machine
  try {
    await page.getByTestId('start').click();
    await expect(page.getByTestId('run-status')).toHaveText('running');
    await expect(page.getByTestId('runs-on-host')).toContainText('closing or reloading the page does not stop it');
    const asked: string[] = [];
    page.on('dialog', (d) => {
      asked.push(d.type());
      void d.dismiss(); // would keep the page: the test then fails on isClosed
    });
    const context = page.context();
    await page.close({ runBeforeUnload: true });
    await expect.poll(() => page.isClosed()).toBe(true);
    expect(asked).toEqual([]);

    // No page is open: the host goes on. A page opened again (the cookie, no token) shows the same job, running, with its numbers.
    const again = await context.newPage();
    await again.goto(env.serve.url.replace(/\?token=.*$/, ''));
    await expect(again.locator('body[data-ready="1"]')).toBeAttached();
    await expect(again.getByTestId('screen-live')).toBeVisible();
    await expect(again.getByTestId('run-status')).toHaveText('running');
    await expect.poll(async () => Number((await again.getByTestId('run-progress').textContent())?.split('/')[0]), { timeout: 30_000 }).toBeGreaterThan(0);
    await again.getByTestId('cancel').click();
    await expect(again.getByTestId('run-status')).toHaveText('cancelled', { timeout: 30_000 });
    await again.close();
  } finally {
    held.release();
  }
  // With no page open, the terminal running `fanout serve` is where the job's start and end are said.
  const started = /job (gutenberg-\S+) started: gutenberg, 2 worker\(s\), into \S+out-leave/.exec(env.serve.output.join('\n'));
  expect(started).not.toBeNull();
  await expect.poll(() => env.serve.output.join('\n')).toMatch(new RegExp(`job ${started![1]} cancelled: \\d+ done, 0 already complete, 0 failed \\(of \\d+\\)`));
});

test('a Verify started on History keeps its result (and its "Verifying…") when the page goes to another screen and back', async ({ app: page, env }) => {
  await fillGutenbergForm(page, env, { mirror: env.http.url, outDir: join(env.dir, 'out-verify-away'), workers: 4 });
  await page.getByTestId('select-all').click();
  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-status')).toHaveText('failed', { timeout: 60_000 }); // the missing book
  await page.getByTestId('nav-history').click();
  await page.getByTestId('history-row').first().getByTestId('history-verify').click();
  await page.getByTestId('nav-gutenberg').click();
  await page.getByTestId('nav-history').click();
  await expect(page.getByTestId('verify-summary')).toContainText(/^OK: \d+ files re-hashed/);
  // It says which run and folder it verified.
  await expect(page.getByTestId('verify-target')).toContainText(`Verified the gutenberg run of `);
  await expect(page.getByTestId('verify-target')).toContainText(join(env.dir, 'out-verify-away'));
});
