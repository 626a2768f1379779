/**
 * A catalog cut at a row boundary (a truncated pg_catalog.csv, in ebook order) reads as a whole
 * catalog: `fanout gutenberg --ids` says which requested numbers it no longer lists, refuses
 * without --allow-missing, and with it runs the rest and says in the job's result (the summary
 * and --json's `notInCatalog`) which numbers were not found.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFanoutCli as fanout } from '../../harness/fanout-cli';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';

let fx: GutenbergFixture;
let cut = '';
let dataDir = '';
beforeAll(async () => {
  fx = await startGutenbergFixture();
  dataDir = await mkdtemp(join(fx.dir, 'data-'));
  // The download cut after book 2004's row: 2005-2009 are gone, the file still ends on a whole row.
  const lines = (await readFile(fx.catalogPath, 'utf8')).split('\n');
  cut = join(fx.dir, 'cut.csv');
  await writeFile(cut, lines.slice(0, lines.findIndex((l) => l.startsWith('2005,'))).join('\n') + '\n');
});
afterAll(async () => {
  await fx?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const run = (args: string[]) => fanout(['gutenberg', '--catalog', cut, '--mirror', fx.http.url, '--ids', '2000-2009', ...args], { env: { FANOUT_DATA_DIR: dataDir } });

describe('--ids past a cut catalog', () => {
  it('refused without --allow-missing: how many, the first few, past its last number', async () => {
    const r = await run(['--out', join(fx.dir, 'refused')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'error: --ids 2000-2009: 5 ebook numbers not in the catalog (2005, 2006, 2007, 2008, 2009), all past its last, 2004 (a catalog cut short or older than these books? download it again); check the numbers, or add --allow-missing to download the 5 books that are',
    );
  });

  it('with --allow-missing: the rest is downloaded, and the result names the numbers not found', async () => {
    const json = await run(['--allow-missing', '--json', '--out', join(fx.dir, 'json')]);
    expect(json.code).toBe(0);
    expect(json.stderr).toContain('5 ebook numbers not in the catalog (2005, 2006, 2007, 2008, 2009), all past its last, 2004');
    const summary = JSON.parse(json.stdout) as { itemsDone: number; notInCatalog?: unknown };
    expect(summary.itemsDone).toBe(5);
    expect(summary.notInCatalog).toEqual({ count: 5, ids: '2005-2009' });

    const text = await run(['--allow-missing', '--out', join(fx.dir, 'text')]);
    expect(text.code).toBe(0);
    expect(text.stderr).toMatch(/^not in the catalog: 5 ebook numbers: 2005-2009$/m);
  });
});
