import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactUrl } from '../../../shared/input-checks';
import { startFtpServerOf, startHttpServer } from '../../harness';
import { runFanoutCli } from '../../harness/fanout-cli';
import { booksFixture, jobErrors, runBooksJob, siteServers, startNginxWith, type BooksFixture, type BooksJob } from './refusing-front';

/**
 * Wrong mirror roots that wrong-root.ts let through (s17 HJ2 "noticed"), and how the CLI ends on one:
 * - a root one level or more too deep (`…/gutenberg/3/`: it lists digit folders, so it was taken as a
 *   mirror and every book failed BOOK_NOT_FOUND) or a sub-folder of a mirror (`…/gutenberg/extras/`):
 *   stopped, naming the mirror's root to try;
 * - an HTTP root whose folder index is off (nginx `autoindex off`: 403 for a folder that is there, 404
 *   for one that is not): a wrong one is stopped (the books' top folder `3/` is 404 there), a real
 *   mirror (its `3/` is 403 too) runs to its end;
 * - `fanout gutenberg` stopped on a wrong root exits 2 (bad input), not 1 (some books failed).
 */
const BOOKS = Array.from({ length: 41 }, (_, i) => 3000 + i);
const MISSING = new Set([3000, 3001, 3002, 3003]);
let fx: BooksFixture;
let site: string;
beforeAll(async () => {
  fx = await booksFixture('fanout-wrong-root-kinds-', BOOKS, { mirrorDir: path.join('site', 'gutenberg'), missing: MISSING, sizeBytes: 3_000 });
  site = path.join(fx.work, 'site');
  await mkdir(path.join(site, 'docs'), { recursive: true });
  await writeFile(path.join(site, 'docs', 'readme.txt'), 'not a mirror\n');
  // A folder of the mirror's own that is not its layout (as cache/ or etext04/ on a real one).
  await mkdir(path.join(site, 'gutenberg', 'extras'), { recursive: true });
  await writeFile(path.join(site, 'gutenberg', 'extras', 'notes.txt'), 'extras\n');
});
afterAll(async () => {
  await fx.cleanup();
});

let outN = 0;
const job = (mirror: string, input: Record<string, unknown> = {}): Promise<BooksJob> => runBooksJob(fx.catalogPath, mirror, path.join(fx.work, `out-${outN++}`), input);

function expectStoppedTrying(r: BooksJob, url: string, suggest: string | null, why: RegExp): void {
  const errors = jobErrors(r.summary);
  expect(errors).toEqual([expect.stringMatching(/^BAD_INPUT: /)]);
  expect(errors[0]).toContain(`${redactUrl(url)} does not look like a Gutenberg mirror root`);
  expect(errors[0]).toMatch(why);
  if (suggest) expect(errors[0]).toContain(`try ${redactUrl(suggest)}`);
  expect(r.summary.itemsDone).toBe(0);
  expect(r.summary.itemsFailed).toBeLessThanOrEqual(4);
}

function expectRan(r: BooksJob): void {
  expect(jobErrors(r.summary)).toEqual([]);
  expect(r.summary.itemsDone).toBe(BOOKS.length - MISSING.size);
}

const { node, nginx, vsftpd, 'pure-ftpd': pureFtpd } = siteServers(() => site);
const SERVERS = { node, nginx, vsftpd, 'pure-ftpd': pureFtpd };

describe.each(Object.keys(SERVERS) as Array<keyof typeof SERVERS>)('a folder inside a mirror given as its root (%s)', (kind) => {
  let server: { url: string; stop: () => Promise<void> | void };
  beforeAll(async () => {
    server = await SERVERS[kind]();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('one level too deep (…/gutenberg/3/): stopped, naming …/gutenberg/', async () => {
    expectStoppedTrying(await job(`${server.url}/gutenberg/3/`), `${server.url}/gutenberg/3/`, `${server.url}/gutenberg/`, /inside a mirror's layout/);
  }, 120_000);

  it('two levels too deep (…/gutenberg/3/0/), 1 worker: stopped, naming …/gutenberg/', async () => {
    expectStoppedTrying(await job(`${server.url}/gutenberg/3/0/`, { workers: 1, strategy: 'queue' }), `${server.url}/gutenberg/3/0/`, `${server.url}/gutenberg/`, /2 levels up holds the folders 0\/ to 9\//);
  }, 120_000);

  it('a sub-folder of the mirror that is not its layout (…/gutenberg/extras/): stopped, naming …/gutenberg/', async () => {
    expectStoppedTrying(await job(`${server.url}/gutenberg/extras/`), `${server.url}/gutenberg/extras/`, `${server.url}/gutenberg/`, /the folder above it holds the folders 0\/ to 9\//);
  }, 120_000);
});

describe('an HTTP mirror whose folder index is off (nginx autoindex off: 403)', () => {
  let nginx: Awaited<ReturnType<typeof startNginxWith>>;
  beforeAll(async () => {
    nginx = await startNginxWith(`location / { root ${site}; autoindex off; }`);
  }, 60_000);
  afterAll(async () => {
    await nginx?.stop();
  });

  it('a folder that holds no mirror (docs/): stopped, the books\' folder 3/ not there', async () => {
    const url = `${nginx.url}/docs/`;
    expectStoppedTrying(await job(url), url, null, /will not list it \(HTTP 403\).*3\/ \(HTTP 404\)/);
    expectStoppedTrying(await job(url, { workers: 1, strategy: 'queue' }), url, null, /HTTP 403/);
  }, 120_000);

  it('the real mirror, its first books missing: runs to its end', async () => {
    expectRan(await job(`${nginx.url}/gutenberg/`));
    expectRan(await job(`${nginx.url}/gutenberg/`, { workers: 1, strategy: 'queue' }));
  }, 120_000);
});

describe('fanout gutenberg on a wrong root', () => {
  it('exits 2 (bad input), saying which folder to try', async () => {
    const http = await startHttpServer({ root: site });
    try {
      const r = await runFanoutCli(['gutenberg', '--catalog', fx.catalogPath, '--mirror', `${http.url}/`, '--out', path.join(fx.work, 'cli'), '--workers', '2', '--attempts', '2'], { timeoutMs: 120_000 });
      expect(r.stderr).toContain('does not look like a Gutenberg mirror root');
      expect(r.stderr).toContain(`try ${http.url}/gutenberg/`);
      expect(r.code).toBe(2);
    } finally {
      await http.stop();
    }
  }, 180_000);
});

describe('an FTP server whose per-address limit the job fills (vsftpd max_per_ip = workers)', () => {
  it('the wrong root is judged on a worker\'s own session (no login of its own, which the server refused): stopped, naming gutenberg/', async () => {
    const ftp = await startFtpServerOf('vsftpd', { root: site, maxPerIp: 2 });
    try {
      const url = `${ftp.url}/`;
      expectStoppedTrying(await job(url, { workers: 2 }), url, `${ftp.url}/gutenberg/`, /holds .*gutenberg/);
    } finally {
      await ftp.stop();
    }
  }, 120_000);
});
