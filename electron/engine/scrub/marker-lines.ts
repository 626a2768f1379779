import { END_MARKER_RE, MODERN_START_MARKER_RE } from './boilerplate-markers';

/**
 * The marker searches of the byte-level fast path, one line at a time instead of one regex scan
 * over the window. END_MARKER_RE and MODERN_START_MARKER_RE both start `^[ \t]*\**[ \t]*` then
 * a letter (E of END, S of START): a line can only match if its first char after spaces, tabs
 * and stars is that letter, so only such lines run the regex (sticky, at the line start, on the
 * same text, so a marker wrapped over the next lines matches as before). A `^`/`m` regex scan
 * tries every position of a ~75 KB window; this looks at each line's first chars and
 * lets `indexOf` find the next LF (measured on the bench's books: ~13x less CPU for the three
 * scans of a book). Lines end at LF only: the caller sends texts with U+2028 / U+2029 (where
 * `^` also matches) the reference way.
 */
const END_STICKY_RE = new RegExp(END_MARKER_RE.source, 'imy');
const START_STICKY_RE = new RegExp(MODERN_START_MARKER_RE.source, 'imy');

/** END_MARKER_RE's first match at or after `from` (a line start) in `text`, as an index; -1 when none. */
export function findEndMarkerLine(text: string, from: number): number {
  for (let line = from; line < text.length; ) {
    if (letterAfterStars(text, line) === 0x45 && matchesAt(END_STICKY_RE, text, line)) return line;
    const nl = text.indexOf('\n', line);
    if (nl === -1) break;
    line = nl + 1;
  }
  return -1;
}

/** MODERN_START_MARKER_RE's last match in `text`, as an index; -1 when none. */
export function findLastModernStartLine(text: string): number {
  let last = -1;
  for (let line = 0; line < text.length; ) {
    if (letterAfterStars(text, line) === 0x53 && matchesAt(START_STICKY_RE, text, line)) last = line;
    const nl = text.indexOf('\n', line);
    if (nl === -1) break;
    line = nl + 1;
  }
  return last;
}

/** The upper-cased char after the spaces, tabs and stars that start the line at `at`; 0 at the text's end. */
function letterAfterStars(text: string, at: number): number {
  let i = at;
  let c = text.charCodeAt(i);
  while (c === 0x20 || c === 0x09 || c === 0x2a) c = text.charCodeAt(++i);
  return Number.isNaN(c) ? 0 : c & ~0x20;
}

function matchesAt(re: RegExp, text: string, at: number): boolean {
  re.lastIndex = at;
  return re.test(text);
}
