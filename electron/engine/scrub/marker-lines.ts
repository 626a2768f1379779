import { END_MARKER_RE, START_MARKER_RE } from './boilerplate-markers';

/**
 * The marker searches of the byte-level fast path, one line at a time instead of one regex scan
 * over the window. Every marker alternative is anchored at a line start (`^`, `m` flag), so a
 * match can only begin where a line begins; and each alternative needs something a line shows in
 * its first or last chars:
 * - END_MARKER_RE and START_MARKER_RE's first alternative start `^[ \t]*\**[ \t]*` then `END` /
 *   `START` (any case): the first char after the line's spaces, tabs and stars begins that word;
 * - START_MARKER_RE's second alternative (`*END*THE SMALL PRINT`) has a star as the first char
 *   after the line's spaces and tabs;
 * - its third (`... SMALL PRINT! ... *END*`) ends the line with a star and spaces or tabs.
 * Only lines passing that test run the regex (sticky, at the line start, on the same text, so a
 * marker wrapped over the next lines matches as before). A `^`/`m` regex scan tries every
 * position of a ~75 KB window (and the old SMALL PRINT test scanned every char); this looks at
 * each line's first chars, and `indexOf` finds the next LF. Lines end at LF only: the caller sends
 * texts with U+2028 / U+2029 (where `^` also matches) the reference way. Case-insensitive here is
 * ASCII only, as in the regexes (no `u` flag: no other char matches an ASCII letter).
 */
const END_STICKY_RE = new RegExp(END_MARKER_RE.source, 'imy');
const START_STICKY_RE = new RegExp(START_MARKER_RE.source, 'imy');

const TAB = 0x09;
const SPACE = 0x20;
const STAR = 0x2a;

/** END_MARKER_RE's first match at or after `from` (a line start) in `text`, as an index; -1 when none. */
export function findEndMarkerLine(text: string, from: number): number {
  for (let line = from; line < text.length; ) {
    if (wordAfterStars(text, line, 'end') && matchesAt(END_STICKY_RE, text, line)) return line;
    const nl = text.indexOf('\n', line);
    if (nl === -1) break;
    line = nl + 1;
  }
  return -1;
}

/**
 * The index of START_MARKER_RE's last match in `text` (what strip-boilerplate.ts `findLastStart`
 * finds with a global scan), -1 when none. As that scan does, a match hides the lines it spans
 * (the search goes on after its end).
 */
export function findLastStartLine(text: string): number {
  let last = -1;
  /** End of the last match: a line starting before it lies inside that match. */
  let after = 0;
  for (let line = 0; line < text.length; ) {
    const nl = text.indexOf('\n', line);
    const lineEnd = nl === -1 ? text.length : nl;
    if (line >= after && mayStart(text, line, lineEnd) && matchesAt(START_STICKY_RE, text, line)) {
      last = line;
      after = START_STICKY_RE.lastIndex;
    }
    if (nl === -1) break;
    line = nl + 1;
  }
  return last;
}

/** May one of START_MARKER_RE's alternatives match at the line `text[at, lineEnd)`? (See the top of this file.) */
function mayStart(text: string, at: number, lineEnd: number): boolean {
  let i = at;
  let c = text.charCodeAt(i);
  while (c === SPACE || c === TAB) c = text.charCodeAt(++i);
  if (c === STAR) return true; // `*END*THE SMALL PRINT`, or `*** START`
  if (wordAfterStars(text, i, 'start')) return true;
  let j = lineEnd - 1;
  while (j > at && (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === TAB)) j--;
  return j >= at && text.charCodeAt(j) === STAR; // `... SMALL PRINT! ... *END*`
}

/** Does `word` (lower case ASCII letters) follow, in any case, the spaces, tabs and stars that start the line at `at`? */
function wordAfterStars(text: string, at: number, word: string): boolean {
  let i = at;
  let c = text.charCodeAt(i);
  while (c === SPACE || c === TAB || c === STAR) c = text.charCodeAt(++i);
  for (let k = 0; k < word.length; k++) {
    // `| 0x20` lower-cases an ASCII letter; no other char (NaN past the end included) becomes one.
    if ((text.charCodeAt(i + k) | 0x20) !== word.charCodeAt(k)) return false;
  }
  return true;
}

function matchesAt(re: RegExp, text: string, at: number): boolean {
  re.lastIndex = at;
  return re.test(text);
}
