import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactUrl } from '../../../shared/input-checks';
import type { JobSummary } from '../../../shared/events';
import { booksFixture, runBooksJob, siteServers, type BooksFixture, type BooksJob } from './refusing-front';

/**
 * A wrong mirror root (a folder that is not a Gutenberg mirror: every book BOOK_NOT_FOUND) failed
 * book by book through the whole selection. Now, once the first books tried are all missing, the
 * root is looked at once (its listing: no top-level digit folder 0/…9/, nor cache/ over HTTP; or the
 * folder does not exist: FTP 550 to CWD, or HTTP 404 with the parent's folder index not listing it): the job stops with one error naming the URL, and the right path when the
 * listing shows a `gutenberg/` folder. A real mirror where the first books asked for are missing
 * runs to its end (its root lists digit folders: never stopped, whatever the order of answers).
 */
const BOOKS = Array.from({ length: 41 }, (_, i) => 3000 + i);
/** Not on the mirror (the first of the catalog). */
const MISSING = new Set([3000, 3001, 3002, 3003]);
let fx: BooksFixture;
let site: string;

beforeAll(async () => {
  // The real mirror is <site>/gutenberg; <site> itself holds it and an unrelated folder.
  fx = await booksFixture('fanout-wrong-root-', BOOKS, { mirrorDir: path.join('site', 'gutenberg'), missing: MISSING, sizeBytes: 3_000 });
  site = path.join(fx.work, 'site');
  await mkdir(path.join(site, 'docs'), { recursive: true });
  await writeFile(path.join(site, 'docs', 'readme.txt'), 'not a mirror\n');
});
afterAll(async () => {
  await fx.cleanup();
});

let outN = 0;
const job = (mirror: string, input: Record<string, unknown> = {}): Promise<BooksJob> => runBooksJob(fx.catalogPath, mirror, path.join(fx.work, `out-${outN++}`), input);

function expectWrongRoot(r: { summary: JobSummary }, url: string, suggest: string | null): void {
  expect(r.summary.status).toBe('failed');
  expect(r.summary.itemsDone).toBe(0);
  const jobErr = r.summary.failures.filter((f) => f.item === '(job)');
  expect(jobErr).toHaveLength(1);
  expect(jobErr[0]!.error.code).toBe('BAD_INPUT');
  // The URL as given, its password hidden (pure-ftpd's virtual user).
  expect(jobErr[0]!.error.message).toContain(redactUrl(url));
  expect(jobErr[0]!.error.message).toMatch(/does not look like a Gutenberg mirror root/);
  if (suggest) expect(jobErr[0]!.error.message).toContain(`try ${redactUrl(suggest)}`);
  // Not every book one by one: at most the first few (one per worker) are recorded missing.
  expect(r.summary.itemsFailed).toBeLessThanOrEqual(4);
}

function expectRealMirrorRan(r: { summary: JobSummary; manifest: string }): void {
  expect(r.summary.failures.filter((f) => f.item === '(job)')).toEqual([]);
  expect(r.summary.itemsDone).toBe(BOOKS.length - MISSING.size);
  expect(r.summary.failures.map((f) => f.error.code).sort()).toEqual([...MISSING].map(() => 'BOOK_NOT_FOUND'));
}

const HTTP_SERVERS = siteServers(() => site);

describe.each(Object.keys(HTTP_SERVERS) as Array<keyof typeof HTTP_SERVERS>)('wrong mirror root (%s)', (kind) => {
  let server: { url: string; stop: () => Promise<void> | void };
  beforeAll(async () => {
    server = await HTTP_SERVERS[kind]();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('the folder above the mirror: one error naming the URL and the gutenberg/ folder in it', async () => {
    const url = `${server.url}/`;
    expectWrongRoot(await job(url), server.url, `${server.url}/gutenberg/`);
  }, 120_000);

  it('a folder that holds no mirror (docs/): stopped the same way', async () => {
    expectWrongRoot(await job(`${server.url}/docs/`, { workers: 1, strategy: 'queue' }), `${server.url}/docs/`, null);
  }, 120_000);

  it('a folder that does not exist: stopped the same way', async () => {
    const r = await job(`${server.url}/no-such-folder/`);
    expectWrongRoot(r, `${server.url}/no-such-folder/`, null);
    // HTTP: a 404 for a folder alone is no proof (static hosts answer it for folders without an index
    // page: wrong-root-404.test.ts); the parent's folder index, without the folder in it, is.
    if (server.url.startsWith('http')) expect(r.summary.failures.find((f) => f.item === '(job)')!.error.message).toContain('the folder index of its parent does not list it');
  }, 120_000);

  it('the real mirror, the first books asked for missing: runs to its end (4 workers, and 1 worker in catalog order)', async () => {
    expectRealMirrorRan(await job(`${server.url}/gutenberg/`));
    expectRealMirrorRan(await job(`${server.url}/gutenberg/`, { workers: 1, strategy: 'queue' }));
  }, 180_000);
});
