import { findEndMarkerLine, findLastStartLine } from './marker-lines';
import type { ScrubWarning } from './scrub-types';
import {
  BLANK_LINE_RE,
  CREDIT_STICKY_RE,
  HEAD_LINES,
  LEADING_BLANK_LINES_RE,
  MAX_CREDIT_PARAGRAPHS,
  TAIL_LINES,
  endOfMarker,
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
 * UTF-8. The markers live in the first and last 1000 lines, so only those become strings (a
 * window of ~1200 lines at the head, 1000 at the tail), one char per byte (see `decode`): the
 * offsets found there are byte offsets; the middle of the book is never turned into a string. A short book, whose
 * windows would meet, is decoded whole. Returns null in the rare cases a window is too small to
 * be sure (credits or blank lines running past the head window, a tail that is all whitespace):
 * the caller then strips the decoded text the reference way.
 */
export function locateBook(text: Buffer): BookSpan | null {
  const headEnd = byteOffsetAfterLines(text, HEAD_LINES, 0);
  const headLimit = byteOffsetAfterLines(text, HEAD_SLACK_LINES, headEnd);
  const tailStart = byteOffsetBeforeLines(text, TAIL_LINES);
  if (headLimit < tailStart) {
    return hasLineSeparator(text, 0, headLimit) || hasLineSeparator(text, tailStart, text.length) ? null : locateInWindows(text, headEnd, headLimit, tailStart);
  }
  return hasLineSeparator(text, 0, text.length) ? null : locateInWhole(text);
}

const LINE_SEPARATORS = [Buffer.from('\u2028'), Buffer.from('\u2029')];

/**
 * U+2028 / U+2029 in `bytes[from, to)`: the markers' `^` matches after them too, but lines here end
 * at LF only (byte strings, marker-lines.ts). Never seen in a book: the caller strips such a text
 * the reference way.
 */
function hasLineSeparator(bytes: Buffer, from: number, to: number): boolean {
  const window = bytes.subarray(from, to);
  return LINE_SEPARATORS.some((sep) => window.indexOf(sep) !== -1);
}

/** A book too short for separate windows: the reference algorithm on its whole text. */
function locateInWhole(bytes: Buffer): BookSpan {
  const text = decode(bytes, 0, bytes.length);
  const warnings: ScrubWarning[] = [];
  const { start, contentStart } = findStart(text, offsetAfterLines(text, HEAD_LINES));
  const tailStart = Math.max(contentStart, offsetBeforeLines(text, TAIL_LINES));
  const end = findEndMarkerLine(text, tailStart);
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
  return {
    from,
    to,
    startMarker: start !== -1,
    endMarker: end !== -1,
    warnings,
    whole: true,
  };
}

/**
 * A long book: the head window `[0, headLimit)` and the tail window `[tailStart, end)`, disjoint;
 * `headEnd` is the end of the first HEAD_LINES lines (inside the head window: a byte offset is a
 * char offset in its byte string).
 */
function locateInWindows(bytes: Buffer, headEnd: number, headLimit: number, tailStart: number): BookSpan | null {
  const head = decode(bytes, 0, headLimit);
  // endOfMarker reads at most a few lines past the marker, all inside the window's slack.
  const { start, contentStart } = findStart(head, headEnd);
  // Every window line is whole (the window ends after an LF) and the true content end lies in the
  // tail window, past this one: `head.length` stands in for it. Whatever runs to the window's end
  // (credits without a blank line after them, blank lines) ends with skipBlankLines reaching it,
  // and then the answer depends on text past the window: null.
  const afterCredits = start === -1 ? contentStart : dropTopCredits(head, contentStart, head.length);
  const from = skipBlankLines(head, afterCredits, head.length, false);
  if (from === null) return null;

  // tailStart is a line start past contentStart, so the reference's max(contentStart, ...) is it.
  const tail = decode(bytes, tailStart, bytes.length);
  const end = findEndMarkerLine(tail, 0);
  const to = trimmedEnd(tail, 0, end === -1 ? tail.length : end);
  // All whitespace back to the window's start: the body's end is further up. Never in a real book.
  if (to === 0) return null;

  const warnings: ScrubWarning[] = [];
  if (start === -1) warnings.push('no-start-marker');
  if (end === -1) warnings.push('no-end-marker');
  return {
    from,
    to: tailStart + to,
    startMarker: start !== -1,
    endMarker: end !== -1,
    warnings,
    whole: false,
  };
}

/**
 * The last start marker in the first HEAD_LINES lines (`text[0, headEnd)`, before any footer
 * marker there), and the line after it.
 */
function findStart(text: string, headEnd: number): { start: number; contentStart: number } {
  const head = text.slice(0, headEnd);
  const firstEnd = findEndMarkerLine(head, 0);
  const start = findLastStartLine(firstEnd === -1 ? head : head.slice(0, firstEnd));
  return { start, contentStart: start === -1 ? 0 : endOfMarkerBytes(text, start) };
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

/**
 * `from + text.slice(from, to).trimEnd().length` of the UTF-8 text, on its byte string: ASCII
 * whitespace is skipped as chars; a non-ASCII byte ends a multi-byte character, which is decoded
 * (its lead byte found backwards) and skipped only when JS counts it as whitespace (U+00A0,
 * U+2028, U+3000, U+FEFF, ...). A lone 0xA0 or 0x85 byte is never whitespace here: it is part of
 * another character ("à" is C3 A0).
 */
function trimmedEnd(text: string, from: number, to: number): number {
  let end = to;
  while (end > from) {
    const c = text.charCodeAt(end - 1);
    if (c < 0x80) {
      if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) {
        end--;
        continue;
      }
      return end;
    }
    let lead = end - 1;
    while (lead > from && (text.charCodeAt(lead) & 0xc0) === 0x80) lead--;
    if (!WHITESPACE_RE.test(utf8Of(text, lead, end))) return end;
    end = lead;
  }
  return end;
}

/** JS whitespace (`\s`, what `trim` removes), as a whole string. */
const WHITESPACE_RE = /^\s+$/;

/**
 * `endOfMarker` of strip-boilerplate.ts on the byte string: it decides on whole lines (blank by
 * `trim`, which knows Unicode whitespace), so the marker's line and the few after it are decoded
 * as UTF-8 and the answer mapped back to a byte offset.
 */
function endOfMarkerBytes(text: string, at: number): number {
  let stop = at;
  for (let i = 0; i < 4 && stop < text.length; i++) {
    const nl = text.indexOf('\n', stop);
    stop = nl === -1 ? text.length : nl + 1;
  }
  const lines = utf8Of(text, at, stop);
  return at + Buffer.byteLength(lines.slice(0, endOfMarker(lines, 0)), 'utf8');
}

/**
 * The bytes `bytes[from, to)` as a byte string (latin1: one char per byte), so char offsets are
 * byte offsets and the string is one-byte (cheap to make and to scan). The markers, credits and
 * blank-line patterns are ASCII and case-insensitive without the `u` flag, under which no
 * non-ASCII char matches an ASCII letter: they match exactly where they match in the decoded
 * text. What knows Unicode whitespace (`trimEnd`, `trim`) goes through trimmedEnd and
 * endOfMarkerBytes instead.
 */
function decode(bytes: Buffer, from: number, to: number): string {
  return bytes.toString('latin1', from, to);
}

/** The UTF-8 text of the byte string's `[from, to)` (whole characters). */
function utf8Of(text: string, from: number, to: number): string {
  return Buffer.from(text.slice(from, to), 'latin1').toString('utf8');
}

/** Byte offset just after the `n`th LF from `from` (a line start), or the length: `offsetAfterLines` on bytes (an LF byte is an LF char). */
function byteOffsetAfterLines(buf: Buffer, n: number, from: number): number {
  let pos = from;
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
