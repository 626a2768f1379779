/**
 * A catalog cut at a row boundary (a truncated download of pg_catalog.csv, which lists books in
 * ebook order) still reads as a catalog: only the requested ebook numbers it no longer lists show
 * it. They are reported (how many, the first few, how many lie past the catalog's last number),
 * the job is refused unless missing numbers are allowed (the CLI's --allow-missing), and the check
 * says which ones, in full, for the job's result. The UI, which has no such option (its ids come
 * from the catalog it loaded), is told to load the catalog again, not to add a CLI option.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { parseIdRanges } from '../../../shared/id-ranges';
import { checkGutenbergInputs } from '../../../electron/engine/inputs/job-inputs';

let dir = '';
let cut = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-missing-'));
  const header = 'Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves\n';
  const row = (n: number) => `${n},Text,2000-01-01,Book ${n},en,"Author, A",,,\n`;
  // Books 1..40 without 13; the download cut after book 20 (a row boundary: the file reads whole).
  const rows = Array.from({ length: 40 }, (_, i) => i + 1).filter((n) => n !== 13);
  cut = join(dir, 'pg_catalog.csv');
  await writeFile(cut, header + rows.filter((n) => n <= 20).map(row).join(''));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const spec = (ids: string) => GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: cut, mirror: 'http://127.0.0.1:9/', outDir: join(dir, 'out'), selection: { ids: parseIdRanges(ids) } });

describe('requested ebook numbers the catalog does not list', () => {
  it('CLI: refused, counted, the first few named, those past its last number pointed out', async () => {
    const check = await checkGutenbergInputs(spec('5,13,18-25,30'), { allowMissing: false });
    expect(check.problems).toEqual([
      {
        field: 'selection.ids',
        value: '5,13,18-25,30',
        message: '7 ebook numbers not in the catalog (13, 21, 22, 23, 24, …), 6 of them past its last, 20 (a catalog cut short or older than these books? download it again); check the numbers, or add --allow-missing to download the 4 books that are',
      },
    ]);
    expect(check.missing).toEqual({ count: 7, ids: '13,21-25,30' });
  });

  it('CLI with --allow-missing: a warning, and the check names every missing number (the job\'s result)', async () => {
    const check = await checkGutenbergInputs(spec('1-40'), { allowMissing: true });
    expect(check.problems).toEqual([]);
    expect(check.warnings).toEqual([
      {
        field: 'selection.ids',
        value: '1-40',
        message: '21 ebook numbers not in the catalog (13, 21, 22, 23, 24, …), 20 of them past its last, 20 (a catalog cut short or older than these books? download it again); downloading the 19 books that are',
      },
    ]);
    expect(check.selected).toBe(19);
    expect(check.missing).toEqual({ count: 21, ids: '13,21-40' });
  });

  it('all missing: refused whatever the option (nothing to download)', async () => {
    const check = await checkGutenbergInputs(spec('30-35'), { allowMissing: true });
    expect(check.problems).toEqual([{ field: 'selection.ids', value: '30-35', message: 'none of these ebook numbers is in the catalog (it lists 19 books, numbered 1 to 20); check the numbers' }]);
  });

  it('UI (no --allow-missing there): refused, told to load the catalog again', async () => {
    const check = await checkGutenbergInputs(spec('5,25'));
    expect(check.problems).toEqual([
      {
        field: 'selection.ids',
        value: '5,25',
        message: '1 ebook number not in the catalog (25), past its last, 20 (a catalog cut short or older than these books? download it again); the catalog file no longer lists every book selected: load it again and select again',
      },
    ]);
  });

  it('none missing: nothing said, no missing list', async () => {
    const check = await checkGutenbergInputs(spec('1-12,14-20'), { allowMissing: false });
    expect(check.problems).toEqual([]);
    expect(check.missing).toBeUndefined();
  });
});
