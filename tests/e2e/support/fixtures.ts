import { test as base, expect, type Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateMirror, startFtpServer, startHttpServer, startTcpProxy, type FtpServer, type GeneratedMirror, type HttpServer, type MirrorBookSpec, type TcpProxy } from '../../harness';
import { startServe, type ServeProcess } from './fanout-serve';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const ARTIFACTS = join(ROOT, 'tests/artifacts');
export const MISSING_BOOK = 9999;

/** 40 books of 60-140 KB in the common forms, plus one the mirror does not have. */
export const BOOKS: MirrorBookSpec[] = [
  ...Array.from({ length: 40 }, (_, i): MirrorBookSpec => ({
    ebook: 100 + i,
    files: i % 5 === 0 ? ['-0.zip'] : i % 3 === 0 ? ['.txt'] : ['-0.txt'],
    title: `Synthetic Volume ${i}`,
    author: i % 2 ? 'Austen, Jane' : 'Verne, Jules',
    sizeBytes: 60_000 + ((i * 13) % 9) * 10_000,
  })),
  { ebook: MISSING_BOOK, files: [], title: 'The Missing Book', author: 'Nobody, Ann' },
];

export interface Env {
  dir: string;
  mirror: GeneratedMirror;
  catalogPath: string;
  ftp: FtpServer;
  http: HttpServer;
  /** The HTTP mirror behind a latency proxy, so runs last long enough to pause and cancel. */
  slowHttpUrl: string;
  serve: ServeProcess;
}

function csv(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export const test = base.extend<{ app: Page }, { env: Env }>({
  env: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
    async ({}, use) => {
      if (!existsSync(join(ROOT, 'out/renderer/index.html'))) throw new Error('The renderer is not built: run `npm run build` before the e2e tests.');
      const dir = await mkdtemp(join(tmpdir(), 'fanout-e2e-'));
      const mirror = await generateMirror(join(dir, 'mirror'), BOOKS);
      const catalogPath = join(dir, 'pg_catalog.csv');
      const rows = BOOKS.map((b) => [b.ebook, 'Text', '2001-01-01', b.title ?? '', 'en', b.author ?? '', 'Fiction; Synthetic', 'PR', 'Test'].map((x) => csv(String(x))).join(','));
      const catalogCsv = ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...rows, ''].join('\n');
      await writeFile(catalogPath, catalogCsv);
      // The official catalog's place on a real mirror, for "download the catalog from the mirror".
      await mkdir(join(mirror.root, 'cache/epub/feeds'), { recursive: true });
      await writeFile(join(mirror.root, 'cache/epub/feeds/pg_catalog.csv'), catalogCsv);
      const ftp = await startFtpServer({ root: mirror.root });
      const http = await startHttpServer({ root: mirror.root });
      const proxy: TcpProxy = await startTcpProxy({ targetPort: http.port, delayMs: 40 });
      await mkdir(join(dir, 'data'), { recursive: true });
      const serve = await startServe({ dataDir: join(dir, 'data'), cwd: ROOT });
      await use({ dir, mirror, catalogPath, ftp, http, slowHttpUrl: `http://127.0.0.1:${proxy.port}/`, serve });
      await serve.stop();
      await Promise.allSettled([ftp.stop(), http.stop(), proxy.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  app: async ({ page, env }, use) => {
    // An uncaught error in the page (a chart that throws while drawing) fails the test.
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
    await page.goto(env.serve.url);
    await expect(page.locator('body[data-ready="1"]')).toBeAttached();
    await use(page);
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  },
});

export { expect };

/** Loads the test catalog and fills the job form. */
export async function fillGutenbergForm(page: Page, env: Env, opts: { mirror: string; outDir: string; workers: number; limitRate?: string }): Promise<void> {
  await page.getByTestId('nav-gutenberg').click();
  await page.getByTestId('catalog-path').fill(env.catalogPath);
  await page.getByTestId('catalog-load').click();
  await expect(page.getByTestId('catalog-count')).toContainText(`${BOOKS.length} of ${BOOKS.length} books`);
  await page.getByTestId('mirror-url').fill(opts.mirror);
  await page.getByTestId('workers').fill(String(opts.workers));
  await page.getByTestId('out-dir').fill(opts.outDir);
  if (opts.limitRate) await page.getByTestId('limit-rate').fill(opts.limitRate);
}

export async function shot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
