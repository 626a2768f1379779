import { test as base, expect, type Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateMirror, gutenbergDir, startFtpServer, startHttpServer, startTcpProxy, type FtpServer, type GeneratedMirror, type HttpServer, type MirrorBookSpec, type TcpProxy } from '../../harness';
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

/** The second half of the catalog's books the mirror has (120-139): what `holdBooks` holds by default. */
export const LATE_BOOKS = BOOKS.filter((b) => b.ebook >= 120 && b.files.length > 0).map((b) => b.ebook);

/**
 * Holds the HTTP mirror's answers for these books (direct or through the latency proxy) after
 * their first kilobyte, for their next 5 requests each (the engine cuts a stalled body after its
 * 30 s timeout and asks again), until `release()`. A job over the mirror then stops at the first of
 * them each worker meets: it cannot end, and the books after its workers' batches are not asked for,
 * before the test has done what it needs a running job for (pause, cancel, a reload, a second page),
 * however slow the machine. Release in a `finally`: the file's tests share the fixture's servers.
 */
export function holdBooks(env: Env, ebooks: readonly number[] = LATE_BOOKS): { release: () => void } {
  for (const ebook of ebooks) {
    const file = env.mirror.books.get(ebook)?.files[0];
    if (!file) throw new Error(`holdBooks: the mirror has no file of ebook ${ebook}`);
    env.http.hooks.stallBody(`/${file.relPath}`, 1000, { count: 5 });
  }
  return {
    release: () => {
      env.http.hooks.clear();
      env.http.hooks.releaseStalls();
    },
  };
}

/** The ebooks the HTTP mirror answered a request for (a file of the book, its folder, or its cache/epub copy) since `since` (Date.now()). */
export function booksRequested(env: Env, since: number): Set<number> {
  const byDir = new Map(BOOKS.map((b) => [`/${gutenbergDir(b.ebook)}/`, b.ebook]));
  const out = new Set<number>();
  for (const r of env.http.requests) {
    if (r.at < since) continue;
    const cache = /^\/cache\/epub\/(\d+)\//.exec(r.path);
    const ebook = cache ? Number(cache[1]) : byDir.get(r.path.slice(0, r.path.lastIndexOf('/') + 1));
    if (ebook !== undefined) out.add(ebook);
  }
  return out;
}
