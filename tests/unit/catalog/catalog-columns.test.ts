import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chunked, chunkedBytes, readAll } from './helpers';

/**
 * A CSV catalog is read by its header's names, not by position: the same columns in another order,
 * or with more of them (a spreadsheet's export), give the same books; a header without a needed
 * column is refused naming it. The official pg_catalog.csv the same (its real header first).
 */
const books = (entries: Array<{ ebook: number; authors: string[]; title: string }>) => entries.map((e) => [e.ebook, e.authors, e.title]);

describe('simple CSV catalog read by its header', () => {
  const expected = [
    [1342, ['Austen, Jane'], 'Pride and Prejudice'],
    [2701, ['Melville, Herman'], 'Moby Dick; or, The Whale'],
  ];

  it.each([
    ['the original order', 'author,FileNumber,Title\n"Austen, Jane",1342,Pride and Prejudice\n"Melville, Herman",2701,"Moby Dick; or, The Whale"\n'],
    ['another order', 'Title,author,FileNumber\nPride and Prejudice,"Austen, Jane",1342\n"Moby Dick; or, The Whale","Melville, Herman",2701\n'],
    ['the number first, other case', 'FILENUMBER,TITLE,Author\n1342,Pride and Prejudice,"Austen, Jane"\n2701,"Moby Dick; or, The Whale","Melville, Herman"\n'],
    ['extra columns', 'id,author,Year,FileNumber,Notes,Title\n1,"Austen, Jane",1813,1342,"a note, with a comma",Pride and Prejudice\n2,"Melville, Herman",1851,2701,,"Moby Dick; or, The Whale"\n'],
    ['BOM, CRLF, blank lines, spaces around names', '\uFEFF author , FileNumber ,Title\r\n\r\n"Austen, Jane",1342,Pride and Prejudice\r\n\r\n"Melville, Herman",2701,"Moby Dick; or, The Whale"\r\n'],
  ])('%s', async (_name, text) => {
    for (const source of [chunked(text, 7), chunkedBytes(text, 5)]) {
      const { entries, bad } = await readAll(source);
      expect(books(entries)).toEqual(expected);
      expect(bad).toEqual([]);
    }
  });

  it('a quoted field holding commas and a line break, in a reordered file with an extra column', async () => {
    const { entries, bad } = await readAll(chunked('Title,Extra,FileNumber,author\n"Two Lines,\r\nOne Book","x, y",77,"A; B"\n', 4));
    expect(entries.map((e) => [e.ebook, e.authors, e.title])).toEqual([[77, ['A', 'B'], 'Two Lines,\nOne Book']]);
    expect(bad).toEqual([]);
  });

  it('without an author column: the books, with no author', async () => {
    const { entries } = await readAll(Readable.from(['FileNumber,Title\n5,Five\n']));
    expect(books(entries)).toEqual([[5, [], 'Five']]);
  });

  it('a row with too few fields for the header is a bad row', async () => {
    const { entries, bad } = await readAll(Readable.from(['Title,author,FileNumber,Year\nFive,A,5,1999\nSix,B,6\n']));
    expect(entries.map((e) => e.ebook)).toEqual([5]);
    expect(bad).toEqual([{ line: 3, reason: 'expected 4 columns, found 3', raw: 'Six,B,6' }]);
  });

  it.each([
    ['author,Ebook,Title\nA,5,Five\n', 'its header (author,Ebook,Title) has no FileNumber column'],
    ['Title,Year,Author,Pages\nFive,1999,A,10\n', 'its header (Title,Year,Author,Pages) has no FileNumber column'],
    ['author,FileNumber,Name\nA,5,Five\n', 'its header (author,FileNumber,Name) has no Title column'],
    ['a,b,c\n1,2,3\n', 'its header (a,b,c) has no FileNumber and no Title column'],
  ])('a header without a needed column is refused naming it: %j', async (text, words) => {
    const err = await readAll(Readable.from([text])).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_INPUT', context: { line: 1 } });
    expect((err as Error).message).toContain(words);
    expect((err as Error).message).toContain('author,FileNumber,Title');
  });

  it('no header (three fields, a number second): read in the original order, as before', async () => {
    const { entries } = await readAll(Readable.from(['"Austen, Jane",1342,Pride and Prejudice\n']));
    expect(books(entries)).toEqual([[1342, ['Austen, Jane'], 'Pride and Prejudice']]);
  });
});

describe('pg_catalog.csv read by its header', () => {
  const REAL_HEADER = 'Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves';

  it('its real header, and the same columns reordered with one more, give the same entry', async () => {
    const row = ['1342', 'Text', '1998-06-01', 'Pride and Prejudice', 'en', 'Austen, Jane, 1775-1817', 'England -- Fiction; Courtship -- Fiction', 'PR', 'Best Books Ever Listings'];
    const quote = (f: string) => (/[,"\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
    const real = `${REAL_HEADER}\n${row.map(quote).join(',')}\n`;
    const order = [3, 8, 0, 5, 1, 7, 2, 6, 4];
    const names = REAL_HEADER.split(',');
    const moved = `${[...order.map((i) => names[i]), 'Downloads'].join(',')}\n${[...order.map((i) => quote(row[i]!)), '12345'].join(',')}\n`;
    const a = await readAll(chunked(real, 9));
    const b = await readAll(chunked(`\uFEFF${moved.replace(/\n/g, '\r\n')}`, 9));
    expect(a.entries).toEqual([
      {
        ebook: 1342, type: 'Text', issued: '1998-06-01', title: 'Pride and Prejudice', languages: ['en'], authors: ['Austen, Jane, 1775-1817'],
        subjects: ['England -- Fiction', 'Courtship -- Fiction'], locc: ['PR'], bookshelves: ['Best Books Ever Listings'],
      },
    ]);
    expect(b.entries).toEqual(a.entries);
    expect([a.bad, b.bad]).toEqual([[], []]);
  });

  it('a header without Title is refused naming it', async () => {
    const err = await readAll(Readable.from(['Text#,Type,Name\n1,Text,One\n'])).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('has no Title column') });
  });
});
