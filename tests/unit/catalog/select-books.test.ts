import { describe, expect, it } from 'vitest';
import { parseIdRanges } from '../../../shared/id-ranges';
import type { CatalogSelection } from '../../../shared/job-spec';
import type { CatalogEntry } from '../../../shared/catalog-entry';
import { foldText } from '../../../electron/engine/catalog/fold-text';
import { readCatalog } from '../../../electron/engine/catalog/read-catalog';
import { compileSelection, explainSelection, matchesSelection, selectBooks } from '../../../electron/engine/catalog/select-books';
import { fixture, readAll } from './helpers';

const entries = (await readAll(fixture('official-tricky.csv'))).entries;

function pick(selection: CatalogSelection): number[] {
  return entries.filter((e) => matchesSelection(e, selection)).map((e) => e.ebook);
}

async function collect(it: AsyncIterable<CatalogEntry>): Promise<number[]> {
  const out: number[] = [];
  for await (const e of it) out.push(e.ebook);
  return out;
}

describe('foldText', () => {
  it('drops case, accents and special letters, and collapses whitespace', () => {
    expect(foldText('Mérimée')).toBe('merimee');
    expect(foldText('BRONTË')).toBe('bronte');
    expect(foldText('Straße Œuvres Ærø')).toBe('strasse oeuvres aero');
    expect(foldText('Bill of Rights\nThe Ten')).toBe('bill of rights the ten');
    expect(foldText('Plain ASCII')).toBe('plain ascii');
  });
});

describe('matchesSelection', () => {
  it('with no filter selects everything', () => {
    expect(pick({})).toEqual([1, 2, 7, 10, 13, 14, 16]);
    expect(pick({ ids: [], author: '  ' })).toEqual([1, 2, 7, 10, 13, 14, 16]);
  });

  it('selects ebook numbers and ranges, even unsorted ones', () => {
    expect(pick({ ids: parseIdRanges('2, 10-14') })).toEqual([2, 10, 13, 14]);
    expect(pick({ ids: [{ from: 16, to: 16 }, { from: 1, to: 2 }] })).toEqual([1, 2, 16]);
    expect(pick({ ids: [{ from: 3, to: 6 }] })).toEqual([]);
  });

  it('matches author as case- and accent-insensitive words of one author', () => {
    expect(pick({ author: 'merimee' })).toEqual([10]);
    expect(pick({ author: 'Prosper Mérimée' })).toEqual([10]); // "Given Surname" finds "Surname, Given"
    expect(pick({ author: 'BRONTE' })).toEqual([10]);
    expect(pick({ author: 'jefferson' })).toEqual([1]);
    expect(pick({ author: 'Prosper Charlotte' })).toEqual([]); // words must hit the same author
    expect(pick({ author: 'translator' })).toEqual([10]);
  });

  it('matches title as a substring, across an embedded newline', () => {
    expect(pick({ title: 'rights the ten' })).toEqual([2]);
    expect(pick({ title: '"BILL"' })).toEqual([2]);
    expect(pick({ title: 'compact' })).toEqual([7]);
  });

  it('matches language codes exactly, one of several', () => {
    expect(pick({ language: 'fr' })).toEqual([10]);
    expect(pick({ language: 'DE, es' })).toEqual([13, 16]);
    expect(pick({ language: 'e' })).toEqual([]); // not a substring match
  });

  it('matches subject in subjects or bookshelves', () => {
    expect(pick({ subject: 'spain' })).toEqual([10, 16]);
    expect(pick({ subject: 'romance' })).toEqual([10]); // a bookshelf
    expect(pick({ subject: 'poetry' })).toEqual([13]);
  });

  it('matches type by case-insensitive equality', () => {
    expect(pick({ type: 'sound' })).toEqual([14]);
    expect(pick({ type: 'Text' })).toEqual([1, 2, 7, 10, 13, 16]);
    expect(pick({ type: 'Tex' })).toEqual([]);
  });

  it('ANDs all filters', () => {
    expect(pick({ type: 'text', language: 'en', subject: 'united states' })).toEqual([1, 2]);
    expect(pick({ ids: parseIdRanges('1-10'), author: 'jefferson', language: 'fr' })).toEqual([]);
  });

  it('compileSelection agrees with matchesSelection', () => {
    const sel: CatalogSelection = { language: 'en', type: 'text' };
    const match = compileSelection(sel);
    expect(entries.filter(match).map((e) => e.ebook)).toEqual(pick(sel));
  });
});

describe('selectBooks', () => {
  it('filters a stream in order and stops after limit, closing the source', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<CatalogEntry> {
      try {
        for (const e of entries) {
          pulled++;
          yield e;
        }
      } finally {
        closed = true;
      }
    }
    let closed = false;
    expect(await collect(selectBooks(source(), { type: 'text', limit: 2 }))).toEqual([1, 2]);
    expect(pulled).toBe(2);
    expect(closed).toBe(true);
  });

  it('selects each book once, from its first row, and counts the limit in books; explainSelection counts books too', async () => {
    // A hand-made catalog may list a book twice: the job would fetch it twice at once into one .part,
    // and the input check's count (the CLI's "N books", the main site's one-book rule) said rows.
    const a = entries[0]!;
    const b = entries[1]!;
    const c = entries[2]!;
    const rows = [a, b, { ...a, title: 'again' }, b, c];
    async function* source(): AsyncGenerator<CatalogEntry> {
      yield* rows;
    }
    const repeats: number[] = [];
    const firstRows: CatalogEntry[] = [];
    for await (const e of selectBooks(source(), {}, (ebook) => repeats.push(ebook))) firstRows.push(e);
    expect(firstRows.map((e) => e.ebook)).toEqual([a.ebook, b.ebook, c.ebook]);
    expect(firstRows[0]!.title).toBe(a.title);
    expect(repeats).toEqual([a.ebook, b.ebook]);
    expect(await collect(selectBooks(source(), { limit: 3 }))).toEqual([a.ebook, b.ebook, c.ebook]);
    expect((await explainSelection(source(), {})).selected).toBe(3);
    expect((await explainSelection(source(), { limit: 2 })).selected).toBe(2);
  });

  it('works straight on readCatalog', async () => {
    const picked = await collect(selectBooks(readCatalog(fixture('official-tricky.csv')), { language: 'en', subject: 'fiction' }));
    expect(picked).toEqual([10, 14]);
  });
});
