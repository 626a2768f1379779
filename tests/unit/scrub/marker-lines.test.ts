import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { END_MARKER_RE, START_MARKER_RE } from '../../../electron/engine/scrub/boilerplate-markers';
import { findEndMarkerLine, findLastStartLine } from '../../../electron/engine/scrub/marker-lines';
import { findFrom, findLastStart } from '../../../electron/engine/scrub/strip-boilerplate';
import { bookText, makeBookSpecs } from '../../harness/mirror-gen';

/**
 * The fast path's line-at-a-time marker searches (marker-lines.ts) against the reference's regex
 * scans (strip-boilerplate.ts `findLastStart`, `findFrom(END_MARKER_RE)`), on the texts they search:
 * byte strings (latin1) of LF-normalised files. Every corpus file, every fixture, the benchmark's
 * synthetic books, each cut into windows, and texts made to trip a line-by-line search.
 */
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const fixturesDir = path.join(repoRoot, 'tests', 'fixtures', 'scrub');
const corpusDir = process.env.FANOUT_CORPUS ?? path.resolve(repoRoot, '..', 'shared', 'corpus', 'gutenberg');
const haveCorpus = existsSync(corpusDir);
const txt = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

/** A file's bytes as the fast path searches them: LF line ends, one char per byte. */
const byteString = (bytes: Buffer) => bytes.toString('latin1').replaceAll('\r\n', '\n').replaceAll('\r', '\n');

function expectSameSearches(text: string, label: string): void {
  expect(findLastStartLine(text), `${label}: last start`).toBe(findLastStart(text));
  for (const from of lineStarts(text)) {
    expect(findEndMarkerLine(text, from), `${label}: end from ${from}`).toBe(findFrom(END_MARKER_RE, text, from));
  }
}

/** A few line starts spread over the text (0 included): where an end-marker search may begin. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (const frac of [0.1, 0.5, 0.9, 0.99]) {
    const nl = text.indexOf('\n', Math.floor(text.length * frac));
    if (nl !== -1) starts.push(nl + 1);
  }
  return starts;
}

/** The head and tail windows the fast path searches (1000 lines each), and the whole text. */
function windows(text: string): string[] {
  const lines = text.split('\n');
  return [text, lines.slice(0, 1000).join('\n') + '\n', lines.slice(-1000).join('\n')];
}

describe('marker-lines = the reference regex scans', () => {
  it.each(txt(fixturesDir))('fixture %s', (file) => {
    const text = byteString(readFileSync(path.join(fixturesDir, file)));
    for (const w of windows(text)) expectSameSearches(w, file);
  });

  describe.skipIf(!haveCorpus)('real corpus', () => {
    it.each(haveCorpus ? txt(corpusDir) : [])('%s', (file) => {
      const text = byteString(readFileSync(path.join(corpusDir, file)));
      for (const w of windows(text)) expectSameSearches(w, file);
    });
  });

  it("the benchmark mirror's synthetic books (UTF-8 and Latin-1)", () => {
    for (const spec of makeBookSpecs({ count: 12, medianBytes: 60_000 })) {
      const text = bookText({ ...spec, sizeBytes: spec.sizeBytes });
      for (const bytes of [Buffer.from(text, 'utf8'), Buffer.from(text, 'latin1')]) {
        for (const w of windows(byteString(bytes))) expectSameSearches(w, `ebook ${spec.ebook}`);
      }
    }
  });

  const prose = 'She said so.\nSTARTLING news\n* * *\nThe end is near *\nEnd of story, or END OF THE BOOK\n';
  const cases: Array<[string, string]> = [
    ['modern start, then prose lines starting with S and E', `Title\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\n${prose}`],
    ['two start markers: the last counts', `*** START OF THIS PROJECT GUTENBERG EBOOK X ***\nintro\n  start of the project gutenberg etext y\n${prose}`],
    ['no-space marker in mixed case', `***sTaRt Of ThE pRoJeCt GuTeNbErG e-TeXt X***\n${prose}`],
    ['marker wrapped over lines', `***START OF THE\nPROJECT GUTENBERG\nEBOOK X***\n${prose}`],
    ['1990s small print end line', `header\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n${prose}`],
    ['small print wrapped: its second line would match by itself, but the scan resumes after the match', `**END***THE\nSMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n${prose}`],
    ['small print wrapped over three lines', `*END* THE\nSMALL\nPRINT! etc\n${prose}`],
    ['small print ENDS variant at the end of a line, trailing spaces', `The Small Print! ... *ENDS*  \t\n${prose}`],
    ['small print line ending in a star but not *END*', `SMALL PRINT! and a star *\n${prose}`],
    ['start marker after a small print line', `*END*THE SMALL PRINT! FOR PUBLIC DOMAIN EBOOKS*Ver.02/11/02*END*\nnotes\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\n${prose}`],
    ['small print after a start marker', `*** START OF THE PROJECT GUTENBERG EBOOK X ***\nnotes\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN EBOOKS*Ver.02/11/02*END*\n${prose}`],
    ['spaces and tabs mixed with the stars', ` \t* *\tSTART OF THE PROJECT GUTENBERG EBOOK X\n \t*  END OF THE PROJECT GUTENBERG EBOOK X\n`],
    ['end marker variants', `text\nEnd of the Project Gutenberg EBook of X\nEnd of Project Gutenberg's X\n  **END OF THIS\nPROJECT GUTENBERG EBOOK\n`],
    ['marker words in prose, mid-line', `He said: *** START OF THE PROJECT GUTENBERG EBOOK X ***\nand the END OF THE PROJECT GUTENBERG EBOOK\n`],
    ['Latin-1 chars where the letters would be', `*** \u00dfTART OF THE PROJECT GUTENBERG EBOOK X\n\u00c9ND OF THE PROJECT GUTENBERG\n`],
    ['text without a final newline, marker on the last line', `prose\n*** START OF THE PROJECT GUTENBERG EBOOK X`],
    ['small print on the last line, no newline', `prose\n*END*THE SMALL PRINT!`],
    ['empty text', ''],
    ['only newlines and stars', '\n\n*\n**\n \n'],
  ];
  it.each(cases)('%s', (label, text) => {
    expectSameSearches(text, label);
    // Also each suffix starting at a line: a window may start anywhere.
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) expectSameSearches(text.slice(at + 1), `${label} from ${at + 1}`);
  });

  it('the cases above do find what they are about', () => {
    const text = cases.find(([l]) => l.startsWith('small print wrapped: its second line'))![1];
    // The second line alone is a start marker, but it lies inside the first line's match.
    expect(findLastStart(text.slice(text.indexOf('\n') + 1))).toBe(0);
    expect(findLastStartLine(text)).toBe(0);
    expect(START_MARKER_RE.flags).toBe('gim');
  });
});
