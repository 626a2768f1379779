/**
 * `fanout lab gutenberg --allow-missing` with --ids some of which the catalog does not list: the
 * lab ran the books there are, but its result (lab.json, --json) did not say which numbers were
 * missing. Now it names them as `fanout gutenberg` does (`notInCatalog`), with the numbers that
 * reconcile: asked = in the catalog + not in it, and the books each cell ran.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LabPoint } from '../../../shared/ipc';
import { CLI_FROM_SOURCE_TEST_MS, runFanoutCli as fanout } from '../../harness/fanout-cli';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';

let fx: GutenbergFixture;
let cut = '';
beforeAll(async () => {
  fx = await startGutenbergFixture();
  // The catalog without books 2005-2009.
  const lines = (await readFile(fx.catalogPath, 'utf8')).split('\n');
  cut = join(fx.dir, 'cut.csv');
  await writeFile(cut, lines.slice(0, lines.findIndex((l) => l.startsWith('2005,'))).join('\n') + '\n');
});
afterAll(async () => {
  await fx?.cleanup();
});

it('the lab\'s result names the ebook numbers not in the catalog; asked = in the catalog + missing = measured + missing', async () => {
  const out = join(fx.dir, 'lab-missing');
  const r = await fanout(['lab', 'gutenberg', '--catalog', cut, '--mirror', fx.http.url, '--ids', '2000-2009', '--allow-missing', '--sample', '10', '--strategies', 'queue', '--workers', '2', '--json', '--out-dir', out]);
  expect(r.code).toBe(0);
  const expected = { count: 5, ids: '2005-2009', asked: 10, inCatalog: 5, measured: 5 };
  const json = JSON.parse(r.stdout) as { points: LabPoint[]; notInCatalog?: typeof expected };
  expect(json.notInCatalog).toEqual(expected);
  expect(json.points.map((p) => p.itemsDone + p.itemsFailed)).toEqual([5]);
  expect(json.notInCatalog!.asked).toBe(json.points[0]!.itemsDone + json.notInCatalog!.count);
  const file = JSON.parse(await readFile(join(out, 'lab.json'), 'utf8')) as { notInCatalog?: unknown };
  expect(file.notInCatalog).toEqual(expected);
  expect(r.stderr).toContain('not in the catalog: 5 ebook numbers: 2005-2009 (of 10 asked, 5 in the catalog; each cell ran 5 books)\n');
}, CLI_FROM_SOURCE_TEST_MS);
