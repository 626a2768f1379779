import { END_MARKER_RE, MODERN_START_MARKER_RE, SMALL_PRINT_RE } from './boilerplate-markers';
import type { ScrubWarning } from './scrub-types';
import {
  BLANK_LINE_RE,
  CREDIT_STICKY_RE,
  HEAD_LINES,
  LEADING_BLANK_LINES_RE,
  MAX_CREDIT_PARAGRAPHS,
  TAIL_LINES,
  endOfMarker,
  findFrom,
  findLastStart,
  offsetAfterLines,
  offsetBeforeLines,
} from './strip-boilerplate';

/**
 * Where the book lies in LF-normalised UTF-8 bytes: the byte range `stripGutenbergBoilerplate`
 * would keep (before its final `\n`), and what it would report.
 */
export interface BookSpan {
  /** First byte kept. */
  from: number;
  /** End of the kept bytes (exclusive); `from === to` means an empty book. */
  to: number;
  startMarker: boolean;
  endMarker: boolean;
  warnings: ScrubWarning[];
  /** True for a short book decoded whole, false when only the head and tail windows were. */
  whole: boolean;
}

/**
 * Lines decoded past the first HEAD_LINES: room for a start marker near line 1000 to wrap, and
 * for the credit paragraphs after it. Anything that still runs off the window gives up (null).
 */
const HEAD_SLACK_LINES = 200;
const LF = 0x0a;


/**
 * `stripGutenbergBoilerplate`'s cut points, found on bytes: `text` is LF-only, BOM-free, valid
 * UTF-8. The markers live in the first and last 1000 lines, so only those are decoded (a window
 * of ~1200 lines at the head, 1000 at the tail) and the char offsets found there are mapped
 * back to byte offsets; the middle of the book is never turned into a string. A short book, whose
 * windows would meet, is decoded whole. Returns null in the rare cases a window is too small to
 * be sure (credits or blank lines running past the head window, a tail that is all whitespace):
 * the caller then strips the decoded text the reference way.
 */
export function locateBook(text: Buffer): BookSpan | null {
  const headLimit = byteOffsetAfterLines(text, HEAD_LINES + HEAD_SLACK_LINES);
  const tailStart = byteOffsetBeforeLines(text, TAIL_LINES);
  return headLimit < tailStart ? locateInWindows(text, headLimit, tailStart) : locateInWhole(text);
}

/** A book too short for separate windows: the reference algorithm on its whole text. */
function locateInWhole(bytes: Buffer): BookSpan {
  const text = decode(bytes, 0, bytes.length);
  const warnings: ScrubWarning[] = [];
  const { start, contentStart } = findStart(text);
  const tailStart = Math.max(contentStart, offsetBeforeLines(text, TAIL_LINES));
  const end = findFrom(END_MARKER_RE, text, tailStart);
  const contentEnd = end === -1 ? text.length : end;
  if (start === -1) warnings.push('no-start-marker');
  if (end === -1) warnings.push('no-end-marker');

  const afterCredits = start === -1 ? contentStart : dropTopCredits(text, contentStart, contentEnd);
  let from = skipBlankLines(text, afterCredits, contentEnd, true)!;
  let to = trimmedEnd(text, from, contentEnd);
  if (to === from) {
    warnings.push('kept-whole');
    from = skipBlankLines(text, 0, text.length, true)!;
    to = trimmedEnd(text, from, text.length);
  }
  const ascii = text.length === bytes.length;
  return {
    from: ascii ? from : byteLength(text, 0, from),
    to: ascii ? to : bytes.length - byteLength(text, to, text.length),
    startMarker: start !== -1,
    endMarker: end !== -1,
    warnings,
    whole: true,
  };
}

/** A long book: the head window `[0, headLimit)` and the tail window `[tailStart, end)`, disjoint. */
function locateInWindows(bytes: Buffer, headLimit: number, tailStart: number): BookSpan | null {
  const head = decode(bytes, 0, headLimit);
  // endOfMarker reads at most a few lines past the marker, all inside the window's slack.
  const { start, contentStart } = findStart(head);
  // Every window line is whole (the window ends after an LF) and the true content end lies in the
  // tail window, past this one: `head.length` stands in for it. Whatever runs to the window's end
  // (credits without a blank line after them, blank lines) ends with skipBlankLines reaching it,
  // and then the answer depends on text past the window: null.
  const afterCredits = start === -1 ? contentStart : dropTopCredits(head, contentStart, head.length);
  const from = skipBlankLines(head, afterCredits, head.length, false);
  if (from === null) return null;

  // tailStart is a line start past contentStart, so the reference's max(contentStart, ...) is it.
  const tail = decode(bytes, tailStart, bytes.length);
  const end = findFrom(END_MARKER_RE, tail, 0);
  const to = trimmedEnd(tail, 0, end === -1 ? tail.length : end);
  // All whitespace back to the window's start: the body's end is further up. Never in a real book.
  if (to === 0) return null;

  const warnings: ScrubWarning[] = [];
  if (start === -1) warnings.push('no-start-marker');
  if (end === -1) warnings.push('no-end-marker');
  return {
    from: head.length === headLimit ? from : byteLength(head, 0, from),
    to: tailStart + (tail.length === bytes.length - tailStart ? to : byteLength(tail, 0, to)),
    startMarker: start !== -1,
    endMarker: end !== -1,
    warnings,
    whole: false,
  };
}

/** The last start marker in the first HEAD_LINES lines (before any footer marker there), and the line after it. */
function findStart(text: string): { start: number; contentStart: number } {
  const head = text.slice(0, offsetAfterLines(text, HEAD_LINES));
  const firstEnd = findFrom(END_MARKER_RE, head, 0);
  const searched = firstEnd === -1 ? head : head.slice(0, firstEnd);
  // Without "SMALL PRINT" in the searched text only the modern alternative can match (see MODERN_START_MARKER_RE).
  const start = SMALL_PRINT_RE.test(searched) ? findLastStart(searched) : findLastMatch(MODERN_START_MARKER_RE, searched);
  return { start, contentStart: start === -1 ? 0 : endOfMarker(text, start) };
}

/** Index of the last match of a global regex in `text` (scanning as `findLastStart` does); -1 when none. */
function findLastMatch(re: RegExp, text: string): number {
  let last = -1;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) last = m.index;
  return last;
}

/**
 * `dropTopCredits` of strip-boilerplate.ts on the body `text[from, limit)`, with absolute
 * offsets: the index after the credit paragraphs. On a window (`limit` = its end, short of the
 * body's) the answer is exact unless blank lines or a paragraph run to `limit`; the caller's
 * skipBlankLines then reaches `limit` too, and gives up.
 */
function dropTopCredits(text: string, from: number, limit: number): number {
  let pos = from;
  for (let i = 0; i < MAX_CREDIT_PARAGRAPHS; i++) {
    const lead = LEADING_BLANK_LINES_RE.exec(text.slice(pos, Math.min(pos + 4096, limit)));
    const paraStart = pos + (lead === null ? 0 : lead[0].length);
    if (paraStart >= limit) break; // the body is used up: the reference's test fails there too
    // Credit lines never span a line break, and the body ends at a line start: testing on the
    // full text is testing on the body.
    CREDIT_STICKY_RE.lastIndex = paraStart;
    if (!CREDIT_STICKY_RE.test(text)) break;
    // The first blank line in the text is the body's if it ends inside the body (a match is
    // unique at a given start, and any match inside the body is one in the text).
    BLANK_LINE_RE.lastIndex = paraStart;
    const gap = BLANK_LINE_RE.exec(text);
    pos = gap === null || gap.index + gap[0].length > limit ? limit : gap.index + 1;
  }
  return pos;
}

/** Index after the blank lines starting at `from` (inside `[from, limit)`); null when they reach a window's end. */
function skipBlankLines(text: string, from: number, limit: number, whole: boolean): number | null {
  const lead = LEADING_BLANK_LINES_RE.exec(text.slice(from, limit));
  const after = from + (lead === null ? 0 : lead[0].length);
  return !whole && after >= limit ? null : after;
}

/** Index after the last non-whitespace char of `text[from, to)` (JS `trimEnd` whitespace), or `from`. */
function trimmedEnd(text: string, from: number, to: number): number {
  return from + text.slice(from, to).trimEnd().length;
}

/**
 * The text of `bytes[from, to)`, both on line boundaries. `Buffer#toString` rather than a
 * TextDecoder: faster here, and it never drops a leading U+FEFF (a window may start with one, in
 * a concatenated file; it is text there). The bytes were validated, so nothing is replaced.
 */
function decode(bytes: Buffer, from: number, to: number): string {
  return bytes.toString('utf8', from, to);
}

/** UTF-8 length of `text[from, to)`. */
function byteLength(text: string, from: number, to: number): number {
  return Buffer.byteLength(text.slice(from, to), 'utf8');
}

/** Byte offset just after the `n`th LF, or the length: `offsetAfterLines` on bytes (an LF byte is an LF char). */
function byteOffsetAfterLines(buf: Buffer, n: number): number {
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const nl = buf.indexOf(LF, pos);
    if (nl === -1) return buf.length;
    pos = nl + 1;
  }
  return pos;
}

/** Byte offset of the start of the `n`th line from the end, or 0: `offsetBeforeLines` on bytes. */
function byteOffsetBeforeLines(buf: Buffer, n: number): number {
  let pos = buf.length;
  for (let i = 0; i < n; i++) {
    if (pos === 0) return 0;
    const nl = buf.lastIndexOf(LF, pos - 1);
    if (nl <= 0) return 0;
    pos = nl;
  }
  return pos + 1;
}
