import { describe, expect, it } from 'vitest';
import { BadRowTally, explainSelection, readCatalog } from '../../../electron/engine/catalog';
import { chunked, readAll } from './helpers';

const OFFICIAL_HEADER = 'Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves';

describe('readCatalog: a file that is not a catalog is an error, not zero books', () => {
  it('rejects a first line of neither format (/etc/passwd), naming what it found', async () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';
    const err = await readAll(chunked(passwd, 7)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_INPUT', context: { line: 1 } });
    expect((err as Error).message).toMatch(/^not a catalog: its first line has 1 field, neither the pg_catalog\.csv header/);
  });

  it('rejects a header with no book rows', async () => {
    await expect(readAll(chunked(`${OFFICIAL_HEADER}\n`, 10))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/header but no book rows/) });
  });

  it('rejects a file whose every row is bad, quoting the count and the first three', async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => `${i + 1},Text,,,en,,,,`).join('\n'); // empty titles
    const err = await readAll(chunked(`${OFFICIAL_HEADER}\n${rows}\n`, 4096)).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'not a catalog: no book row could be read (1,200 bad rows skipped (line 2: empty title; line 3: empty title; line 4: empty title; …)); give pg_catalog.csv or an author,FileNumber,Title CSV',
    );
  });

  it('still reads a catalog with some bad rows, and the tally summarises them in one line', async () => {
    const tally = new BadRowTally();
    const books: number[] = [];
    for await (const e of readCatalog(chunked('author,FileNumber,Title\nA,1,One\nB,x,Two\nC,3\nD,4,Four\n', 5), { onBadRow: tally.add })) books.push(e.ebook);
    expect(books).toEqual([1, 4]);
    expect(tally.describe()).toBe('2 bad rows skipped (line 3: FileNumber "x" is not an ebook number; line 4: expected 3 columns, found 2)');
    expect(new BadRowTally().describe()).toBeNull();
  });
});

describe('explainSelection', () => {
  const catalog = () =>
    chunked(
      [OFFICIAL_HEADER, '1,Text,,Emma,en,"Austen, Jane",,,', '2,Text,,Persuasion,en,"Austen, Jane",,,', '5,Sound,,Emma (audio),en,"Austen, Jane",,,', '9,Text,,Germinal,fr,"Zola, Émile",,,'].join('\n'),
      16,
    );

  it('counts what the selection picks, limit applied', async () => {
    expect(await explainSelection(readCatalog(catalog()), { author: 'austen', limit: 2 })).toEqual({ books: 4, firstEbook: 1, lastEbook: 9, selected: 2, missing: { count: 0, first: [], pastLast: 0, ranges: [] } });
  });

  it('names the first filter after which nothing is left, and how many books were left before it', async () => {
    const r = await explainSelection(readCatalog(catalog()), { author: 'austen', language: 'fr', title: 'emma' });
    // Applied in order ids, type, language, author, title, subject: language alone leaves Zola, author then empties it.
    expect(r.selected).toBe(0);
    expect(r.emptiedBy).toEqual({ filter: 'author', before: 1, first: false });
    expect((await explainSelection(readCatalog(catalog()), { type: 'Image' })).emptiedBy).toEqual({ filter: 'type', before: 4, first: true });
  });

  it('lists the requested ids that the catalog lacks: the count and the first five', async () => {
    const r = await explainSelection(readCatalog(catalog()), { ids: [{ from: 1, to: 10 }, { from: 99_999_999, to: 99_999_999 }] });
    expect(r.selected).toBe(4);
    // All of them as ranges (the job's result), and those past the catalog's last number, 9 (a cut catalog).
    expect(r.missing).toEqual({ count: 7, first: [3, 4, 6, 7, 8], pastLast: 2, ranges: [{ from: 3, to: 4 }, { from: 6, to: 8 }, { from: 10, to: 10 }, { from: 99_999_999, to: 99_999_999 }] });
    const none = await explainSelection(readCatalog(catalog()), { ids: [{ from: 99_999_999, to: 99_999_999 }] });
    expect(none).toMatchObject({ selected: 0, emptiedBy: { filter: 'ids', before: 4, first: true }, missing: { count: 1, first: [99_999_999] } });
  });

  it('stays bounded for a huge range (stops listing after the first few gaps)', async () => {
    const r = await explainSelection(readCatalog(catalog()), { ids: [{ from: 1, to: 2 ** 52 }] });
    expect(r.missing.count).toBe(2 ** 52 - 4);
    expect(r.missing.first).toEqual([3, 4, 6, 7, 8]);
    expect(r.missing.ranges).toEqual([{ from: 3, to: 4 }, { from: 6, to: 8 }, { from: 10, to: 2 ** 52 }]);
  });
});
