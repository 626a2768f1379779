/**
 * The catalog download (the UI's "Download catalog", into <data folder>/catalogs) into a folder this
 * user may not write: refused before any request, OUTPUT_NOT_WRITABLE naming the folder (it was a
 * raw EACCES from mkdir, or WRITE_FAILED naming a temp file once the download had started), no
 * temp file left. Run as nobody (root writes anywhere).
 */
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer } from '../../harness';
import { runProcess } from '../../harness/fanout-cli';
import { NOBODY, skipWithoutUnprivileged } from './as-nobody';

const repo = resolve(__dirname, '../../..');
const skip = skipWithoutUnprivileged();
let base: string;
let http: HttpServer;

beforeAll(async () => {
  if (skip) return;
  base = await mkdtemp(join(tmpdir(), 'fanout-catalog-perm-'));
  await chmod(base, 0o755);
  const feeds = join(base, 'mirror', 'cache', 'epub', 'feeds');
  await mkdir(feeds, { recursive: true });
  await writeFile(join(feeds, 'pg_catalog.csv'), 'Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves\n5,Text,2000-01-01,"A",en,"B, C",F,PR,X\n');
  http = await startHttpServer({ root: join(base, 'mirror') });
}, 60_000);

afterAll(async () => {
  await http?.stop();
  if (base) await rm(base, { recursive: true, force: true });
});

function download(destDir: string) {
  return runProcess(process.execPath, ['--import', 'tsx', join(__dirname, 'catalog-download-entry.ts'), http.url, destDir], {
    cwd: repo,
    env: { ...process.env, FANOUT_DEBUG: '' },
    uid: NOBODY,
    gid: NOBODY,
    timeoutMs: 120_000,
  });
}

describe.skipIf(skip)('catalog download into a folder this user may not write', () => {
  it.each([
    ['an existing folder of root', (root: string) => root],
    ['a folder to create in one of root', (root: string) => join(root, 'catalogs')],
  ])('%s: OUTPUT_NOT_WRITABLE naming it, before any request, nothing left', async (_what, dest) => {
    const root = await mkdtemp(join(base, 'closed-'));
    await chmod(root, 0o755);
    const before = http.requests.length;
    const r = await download(dest(root));
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { code?: string; message?: string };
    expect(got.code, got.message).toBe('OUTPUT_NOT_WRITABLE');
    expect(got.message).toContain(`Cannot write to ${dest(root)}`);
    expect(http.requests.length, 'no request').toBe(before);
    expect(await readdir(root)).toEqual([]);
  }, 180_000);

  it('a folder it may write: the catalog lands (the same child, so the refusals above are the folder)', async () => {
    const open = join(base, 'open');
    await mkdir(open);
    await chown(open, NOBODY, NOBODY);
    const r = await download(open);
    expect(JSON.parse(r.stdout)).toEqual({ path: join(open, `pg_catalog-127.0.0.1-${http.port}.csv`) });
  }, 180_000);
});
