import { readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { readCatalog } from '../../../electron/engine/catalog/read-catalog';
import { chunked, chunkedBytes, fixture, readAll } from './helpers';

describe('readCatalog: official format (fixture official-tricky.csv)', () => {
  it('reads good rows, including quoted newlines, doubled quotes and empty authors', async () => {
    const { entries } = await readAll(fixture('official-tricky.csv'));
    expect(entries.map((e) => e.ebook)).toEqual([1, 2, 7, 10, 13, 14, 16]);
    expect(entries[0]).toEqual({
      ebook: 1,
      type: 'Text',
      issued: '1971-12-01',
      title: 'The Declaration of Independence',
      languages: ['en'],
      authors: ['Jefferson, Thomas, 1743-1826'],
      subjects: ['United States -- History -- Revolution, 1775-1783 -- Sources'],
      locc: ['E201', 'JK'],
      bookshelves: ['Politics', 'Browsing: History - American'],
    });
    expect(entries[1]!.title).toBe('The "Bill" of Rights\nThe Ten Original Amendments, 1791');
    expect(entries[2]!.authors).toEqual([]);
    const carmen = entries[3]!;
    expect(carmen.title).toBe('Carmen; or, Love in Seville'); // titles are never split on '; '
    expect(carmen.languages).toEqual(['fr', 'en']);
    expect(carmen.authors).toEqual(['Mérimée, Prosper, 1803-1870', 'Brontë, Charlotte, 1816-1855 [Translator]']);
    expect(entries[5]!.type).toBe('Sound');
    expect(entries[6]!.title).toBe('No Final Newline');
  });

  it('reports each bad row once, with the physical line where it starts, and skips it', async () => {
    const { bad } = await readAll(fixture('official-tricky.csv'));
    expect(bad.map((b) => b.line)).toEqual([6, 7, 8, 11, 14]);
    expect(bad[0]!.reason).toMatch(/Text# "abc" is not an ebook number/);
    expect(bad[1]!.reason).toBe('expected 9 columns, found 8');
    expect(bad[2]!.reason).toBe('empty title');
    expect(bad[3]!.reason).toMatch(/closing quote/);
    expect(bad[3]!.raw).toContain('Broken "quote" title');
    expect(bad[4]!.reason).toBe('expected 9 columns, found 10');
    expect(bad[4]!.raw).toContain('Spans\nTwo Lines');
  });

  it('gives identical results for CRLF, a BOM, tiny string chunks and bytes split inside UTF-8 sequences', async () => {
    const text = readFileSync(fixture('official-tricky.csv'), 'utf8');
    const expected = await readAll(fixture('official-tricky.csv'));
    const crlf = '\uFEFF' + text.replaceAll('\n', '\r\n');
    for (const source of [chunked(crlf, 3), chunkedBytes(crlf, 1), chunkedBytes('\uFEFF' + text, 5), Readable.from([Buffer.from(crlf)])]) {
      const got = await readAll(source);
      expect(got.entries).toEqual(expected.entries);
      expect(got.bad.map((b) => [b.line, b.reason])).toEqual(expected.bad.map((b) => [b.line, b.reason]));
    }
  });

  it('finds columns by header name, so a reordered catalog still reads', async () => {
    const text = 'Title,Text#,Authors,Type,Issued,Language,Subjects,LoCC,Bookshelves\n"Moby Dick",2701,"Melville, Herman",Text,,en,,,\n';
    const { entries } = await readAll(chunked(text, 100));
    expect(entries).toEqual([{ ebook: 2701, type: 'Text', issued: null, title: 'Moby Dick', languages: ['en'], authors: ['Melville, Herman'], subjects: [], locc: [], bookshelves: [] }]);
  });

  it('rejects an official header without a Title column as BAD_INPUT', async () => {
    await expect(readAll(chunked('Text#,Type\n1,Text\n', 100))).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('rejects a missing file as BAD_INPUT naming the file', async () => {
    const err = await readAll('/nonexistent/pg_catalog.csv').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FanoutError);
    expect(err).toMatchObject({ code: 'BAD_INPUT', context: { file: '/nonexistent/pg_catalog.csv' } });
  });

  it('rejects an empty source as not a catalog (a run over zero books would be a vacuous success)', async () => {
    await expect(readAll(Readable.from([]))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/^not a catalog: the file is empty/) });
    await expect(readAll(chunked('\n\n\n', 2))).rejects.toMatchObject({ message: expect.stringMatching(/the file is empty/) });
  });
});

describe('readCatalog: simple author,FileNumber,Title format', () => {
  it('reads it with a header', async () => {
    const { entries, bad } = await readAll(fixture('simple-with-header.csv'));
    expect(entries.map((e) => [e.ebook, e.authors, e.title])).toEqual([
      [1342, ['Austen, Jane'], 'Pride and Prejudice'],
      [10, [], 'The King James Version of the Bible'],
      [3178, ['Twain', 'Warner'], 'The Gilded Age'],
      [11, ['Carroll, Lewis'], "Alice's Adventures in Wonderland, Illustrated"],
    ]);
    expect(entries[0]).toMatchObject({ type: 'Text', issued: null, languages: [], subjects: [], locc: [], bookshelves: [] });
    expect(bad).toEqual([{ line: 5, reason: 'FileNumber "xx" is not an ebook number', raw: 'Dickens,xx,Bad Number' }]);
  });

  it('an ebook number beyond what a mirror holds is a bad row, not a job failure later (9,999,999 at most, as the mirror layout)', async () => {
    const { entries, bad } = await readAll(Readable.from(['Author,FileNumber,Title\n', 'A,9999999,Last\n', 'B,10000000,Too Far\n', 'C,99999999999,Far Too Far\n']));
    expect(entries.map((e) => e.ebook)).toEqual([9999999]);
    expect(bad.map((b) => [b.line, b.reason])).toEqual([
      [3, 'FileNumber "10000000" is not an ebook number (1 to 9999999)'],
      [4, 'FileNumber "99999999999" is not an ebook number (1 to 9999999)'],
    ]);
  });

  it('reads it without a header (the first line is a book)', async () => {
    const { entries, bad } = await readAll(fixture('simple-no-header.csv'));
    expect(entries.map((e) => e.ebook)).toEqual([1342, 2701, 1184]);
    expect(entries[1]!.title).toBe('Moby Dick; or, The Whale');
    expect(bad).toEqual([{ line: 3, reason: 'expected 3 columns, found 2', raw: 'Only,Two' }]);
  });
});

describe('readCatalog: cancellation and cleanup', () => {
  it('rejects with ABORTED when the signal fires mid-stream, and destroys the source', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `Author ${i},${i + 1},Title ${i}\n`).join('');
    const source = chunked(rows, 1000);
    const ac = new AbortController();
    let seen = 0;
    const run = (async () => {
      for await (const _e of readCatalog(source, { signal: ac.signal })) {
        if (++seen === 10) ac.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(seen).toBe(10);
    expect(source.destroyed).toBe(true);
  });

  it('rejects with ABORTED when the source stalls and the signal fires', async () => {
    const source = new PassThrough();
    source.write('author,FileNumber,Title\nA,1,One\n');
    const ac = new AbortController();
    const got: number[] = [];
    const run = (async () => {
      for await (const e of readCatalog(source, { signal: ac.signal })) {
        got.push(e.ebook);
        setTimeout(() => ac.abort(), 10); // no more data will ever come
      }
    })();
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(got).toEqual([1]);
  });

  it('rejects at once with an already-aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(readAll(fixture('simple-no-header.csv'), { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('destroys the stream when the consumer stops early', async () => {
    const source = chunked('author,FileNumber,Title\n' + 'A,1,T\n'.repeat(1000), 64);
    for await (const _e of readCatalog(source)) break;
    expect(source.destroyed).toBe(true);
  });
});
