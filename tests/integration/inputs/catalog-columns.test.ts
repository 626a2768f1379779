/**
 * A simple CSV catalog is read by its header's names: the same columns in another order with more
 * of them (a spreadsheet's export) download the books the rows name, under their own titles (read
 * by position, the title column's text was taken for the ebook number: every row a bad row, or the
 * wrong books). A header without FileNumber is refused by `fanout gutenberg` (exit 2) naming the
 * file and the column, before anything is fetched.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import { checkGutenbergJob } from '../../../electron/engine/inputs/job-inputs';
import { CLI_FROM_SOURCE_TEST_MS, runFanoutCli } from '../../harness/fanout-cli';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

describe('a simple CSV catalog with its columns in another order', () => {
  it('the job downloads the books its rows name, with their titles and authors', async () => {
    const catalog = join(fx.dir, 'reordered.csv');
    await writeFile(catalog, 'Title,Year,FileNumber,Author\r\n"Filler, the first",1999,2000,"Doe, Jane"\r\nAll Three Forms,2001,1001,Anon\r\n');
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: fx.http.url, selection: {}, workers: 2, outDir: join(fx.dir, 'reordered') });
    const { check, selection } = await checkGutenbergJob(spec);
    expect(check.problems).toEqual([]);
    expect(check.warnings).toEqual([]);
    expect(check.selected).toBe(2);
    const summary = await runGutenbergJob(spec, createJobControl(), selection);
    expect(summary.status).toBe('succeeded');
    const lines = (await readFile(join(spec.outDir, 'manifest.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as ManifestEntry);
    expect(lines.map((l) => [l.ebook, l.title, l.author, l.status]).sort()).toEqual([
      [1001, 'All Three Forms', 'Anon', 'ok'],
      [2000, 'Filler, the first', 'Doe, Jane', 'ok'],
    ]);
  });

  it('fanout gutenberg with a CSV whose header has no FileNumber: exit 2 naming the file and the column, nothing fetched', async () => {
    const catalog = join(fx.dir, 'no-number.csv');
    await writeFile(catalog, 'author,Ebook,Title\nAnon,2000,Filler\n');
    const before = fx.http.requests.length;
    const r = await runFanoutCli(['gutenberg', '--catalog', catalog, '--mirror', fx.http.url, '--out', join(fx.dir, 'no-number')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(
      `error: --catalog ${catalog}: not a usable catalog: its header (author,Ebook,Title) has no FileNumber column; a CSV catalog needs the columns author,FileNumber,Title (by these names, in any order; more columns are ignored), or give pg_catalog.csv`,
    );
    expect(fx.http.requests.length).toBe(before);
  }, CLI_FROM_SOURCE_TEST_MS);
});
