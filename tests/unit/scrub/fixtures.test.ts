import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeGutenbergBytes } from '../../../electron/engine/scrub/decode-bytes';
import { scrubBook } from '../../../electron/engine/scrub/scrub-book';
import { stripGutenbergBoilerplate } from '../../../electron/engine/scrub/strip-boilerplate';

const fixture = (name: string): Uint8Array => readFileSync(fileURLToPath(new URL(`../../fixtures/scrub/${name}`, import.meta.url)));
const utf8 = (b: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(b);

/** The body every synthetic English fixture carries between its markers. */
const BOOK_A = [
  'THE LITTLE TEST BOOK', '', 'By A. Writer', '', '', 'CHAPTER I', '',
  'It was the start of a long day; the end of the', 'week was near. Nobody produced by hand what',
  'the machine could make.', '', 'THE END',
].join('\n') + '\n';

/** Licence phrases that must never survive a strip. */
const LICENCE = /START OF TH(?:E|IS)|END OF TH(?:E|IS) PROJECT|End of (?:this |the )?Project Gutenberg|SMALL PRINT!|gutenberg\.org\/license|Project Gutenberg-tm|^Produced by|prepared by|Credit for e-text|also has an HTML version|Transcribed from/im;

describe('scrubBook on synthetic fixtures', () => {
  const cases: Array<{ file: string; expected: string; start: boolean; end: boolean; encoding?: string }> = [
    { file: 'small-print-1990s.txt', expected: BOOK_A, start: true, end: true },
    { file: 'small-print-end-space-crlf.txt', expected: BOOK_A, start: true, end: true },
    { file: 'small-print-ends.txt', expected: BOOK_A, start: true, end: true },
    { file: 'nospace-2004-crlf.txt', expected: BOOK_A, start: true, end: true },
    { file: 'wrapped-title-marker.txt', expected: BOOK_A, start: true, end: true },
    { file: 'wrapped-phrase-marker.txt', expected: BOOK_A, start: true, end: true },
    { file: 'odd-case-spacing.txt', expected: BOOK_A, start: true, end: true },
    { file: 'end-of-pgs-only.txt', expected: BOOK_A, start: true, end: true },
    { file: 'lone-cr.txt', expected: BOOK_A, start: true, end: true },
    {
      file: 'modern-bom-crlf.txt',
      expected: BOOK_A.replace('THE END\n', '“Quoted,” she said — it’s done.\n\nTHE END\n'),
      start: true,
      end: true,
    },
    {
      file: 'this-2000s-latin1-crlf.txt',
      expected: 'ÍSLENZK LEIKRIT\n\nEyvindur og Halla: það var þá.\nCafé, naïve, señor — “curly”.\n\nTHE END\n',
      start: true,
      end: true,
      encoding: 'windows-1252',
    },
  ];

  it.each(cases)('$file → exactly the book text', ({ file, expected, start, end, encoding }) => {
    const r = scrubBook(fixture(file));
    const text = utf8(r.clean);
    expect(text).toBe(expected);
    expect(r.startMarker).toBe(start);
    expect(r.endMarker).toBe(end);
    expect(r.warnings).toEqual([]);
    expect(r.encoding).toBe(encoding ?? 'utf-8');
    expect(text).not.toMatch(LICENCE);
    expect(text).not.toContain('\r');
    expect(r.cleanBytes).toBe(r.clean.byteLength);
    expect(r.rawBytes).toBe(fixture(file).byteLength);
  });

  it('keeps a book without markers whole and flags it', () => {
    const r = scrubBook(fixture('no-markers.txt'));
    expect(utf8(r.clean)).toBe('A PLAIN TEXT\n\nWith no licence at all, and no markers.\n\nThe end.\n');
    expect(r.startMarker).toBe(false);
    expect(r.endMarker).toBe(false);
    expect(r.warnings).toEqual(['no-start-marker', 'no-end-marker']);
  });

  it('never empties a book: markers around nothing keep the whole text', () => {
    const r = scrubBook(fixture('markers-only.txt'));
    expect(utf8(r.clean)).toContain('START OF THE PROJECT GUTENBERG EBOOK EMPTY');
    expect(r.warnings).toContain('kept-whole');
  });

  it('reports the BOM and strips it', () => {
    const r = scrubBook(fixture('modern-bom-crlf.txt'));
    expect(r.bom).toBe(true);
    expect(r.clean[0]).not.toBe(0xef);
  });
});

describe('stripGutenbergBoilerplate', () => {
  it('does not cut at marker phrases inside prose lines', () => {
    const text = [
      '*** START OF THE PROJECT GUTENBERG EBOOK X ***', '',
      'He read of the end of the Project Gutenberg era and the start of the project gutenberg ebook', 'boom.', '',
      '*** END OF THE PROJECT GUTENBERG EBOOK X ***',
    ].join('\n');
    const r = stripGutenbergBoilerplate(text);
    expect(r.text).toBe('He read of the end of the Project Gutenberg era and the start of the project gutenberg ebook\nboom.\n');
  });

  it('removes only the credit paragraphs, not the paragraph after them', () => {
    const text = '*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\nProduced by A\nand B\n\nProduced by the author himself, said the preface.\n';
    // Two credit-looking paragraphs in a row are both credits; the book here is what follows.
    const r = stripGutenbergBoilerplate(text + '\nChapter 1\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n');
    expect(r.text).toBe('Chapter 1\n');
  });

  it('keeps indentation of the first line and trims only blank lines', () => {
    const r = stripGutenbergBoilerplate('*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n \n   Centred title\n\nText.  \n\n\n');
    expect(r.text).toBe('   Centred title\n\nText.\n');
    expect(r.endMarker).toBe(false);
    expect(r.warnings).toEqual(['no-end-marker']);
  });

  it('ignores the small print at the bottom of a short 2005-style book', () => {
    const text = [
      '*** START OF THE PROJECT GUTENBERG EBOOK X ***', '', 'Body.', '',
      "End of Project Gutenberg's X, by Y", '', '*** END OF THE PROJECT GUTENBERG EBOOK X ***', '',
      '*END*THE SMALL PRINT! FOR PUBLIC DOMAIN EBOOKS*Ver.02/11/02*END*', '',
    ].join('\n');
    expect(stripGutenbergBoilerplate(text).text).toBe('Body.\n');
  });
});

describe('decodeGutenbergBytes', () => {
  it('reads valid UTF-8 without a BOM as UTF-8', () => {
    const r = decodeGutenbergBytes(new TextEncoder().encode('Grimms’ Märchen\r\nzwei\rdrei\n'));
    expect(r).toEqual({ text: 'Grimms’ Märchen\nzwei\ndrei\n', encoding: 'utf-8', bom: false, warnings: [] });
  });

  it('falls back to windows-1252 for Latin-1 bytes, curly quotes included', () => {
    const r = decodeGutenbergBytes(Uint8Array.from([0x93, 0x70, 0xe9, 0x94, 0x20, 0xf0, 0xfe, 0x0d, 0x0a]));
    expect(r.text).toBe('“pé” ðþ\n');
    expect(r.encoding).toBe('windows-1252');
  });

  it('trusts a BOM and warns about broken bytes after it', () => {
    const r = decodeGutenbergBytes(Uint8Array.from([0xef, 0xbb, 0xbf, 0x41, 0xff, 0x42]));
    expect(r.text).toBe('A\uFFFDB');
    expect(r.bom).toBe(true);
    expect(r.warnings).toEqual(['invalid-utf8-after-bom']);
  });
});
