import { CREDIT_PARAGRAPH_RE, END_MARKER_RE, MARKER_CLOSE_RE, START_MARKER_RE } from './boilerplate-markers';
import { normalizeNewlines } from './newlines';
import type { ScrubWarning, StripResult } from './scrub-types';

/*
 * The helpers below are exported for the byte-level fast path (utf8-fast-path.ts), which runs the
 * same searches on decoded head and tail windows; this module stays the reference implementation.
 */

/**
 * Markers are looked for only in the first and last lines: the licence header ends within ~300
 * lines in every era and the modern footer is ~350 lines, so a bigger window buys nothing and
 * scanning the whole book would cost time and risk matching prose.
 */
export const HEAD_LINES = 1000;
export const TAIL_LINES = 1000;
/** Credit paragraphs looked at after the start marker (credits, HTML note, a second credit...). */
export const MAX_CREDIT_PARAGRAPHS = 4;
/** Lines after a start marker that may still belong to it when it wraps (`... TITLE\nMORE TITLE ***`). */
const MAX_MARKER_CONTINUATION_LINES = 2;

export const BLANK_LINE_RE = /\n[ \t]*\n/g;
export const LEADING_BLANK_LINES_RE = /^(?:[ \t]*\n)+/;
export const CREDIT_STICKY_RE = new RegExp(CREDIT_PARAGRAPH_RE.source, 'imy');

/**
 * Removes the Project Gutenberg licence header and footer (every era: 1990s small print, 2000s
 * `*** START OF THIS ...`, 2003-2008 `***START OF THE ...***`, modern `*** START OF THE ...`),
 * then producer credits and "also has an HTML version" notes at the top.
 *
 * Pure. Never empties a book: without markers the text is kept and flagged in `warnings`.
 * Accepts CRLF or LF; returns LF, no leading blank lines, exactly one trailing newline.
 */
export function stripGutenbergBoilerplate(input: string): StripResult {
  let text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  text = normalizeNewlines(text);
  const warnings: ScrubWarning[] = [];

  const headEnd = offsetAfterLines(text, HEAD_LINES);
  // A start marker only counts before the first footer marker: old books carry the small print
  // at the bottom, and in a short book the head window reaches into it.
  const head = text.slice(0, headEnd);
  const firstEnd = findFrom(END_MARKER_RE, head, 0);
  const start = findLastStart(firstEnd === -1 ? head : head.slice(0, firstEnd));
  const contentStart = start === -1 ? 0 : endOfMarker(text, start);

  const tailStart = Math.max(contentStart, offsetBeforeLines(text, TAIL_LINES));
  const end = findFrom(END_MARKER_RE, text, tailStart);
  const contentEnd = end === -1 ? text.length : end;

  if (start === -1) warnings.push('no-start-marker');
  if (end === -1) warnings.push('no-end-marker');

  let body = text.slice(contentStart, contentEnd);
  if (start !== -1) body = dropTopCredits(body);
  let clean = trimBlankLines(body);
  if (clean === '') {
    warnings.push('kept-whole');
    clean = trimBlankLines(text);
  }
  return { text: clean === '' ? '' : clean + '\n', startMarker: start !== -1, endMarker: end !== -1, warnings };
}

/** Index of the `n`th line start (just after the `n`th LF), or the text length. */
export function offsetAfterLines(text: string, n: number): number {
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const nl = text.indexOf('\n', pos);
    if (nl === -1) return text.length;
    pos = nl + 1;
  }
  return pos;
}

/** Index of the start of the `n`th line from the end, or 0. */
export function offsetBeforeLines(text: string, n: number): number {
  let pos = text.length;
  for (let i = 0; i < n; i++) {
    const nl = text.lastIndexOf('\n', pos - 1);
    if (nl <= 0) return 0;
    pos = nl;
  }
  return pos + 1;
}

/** First match of a global, multiline regex at or after `from`, as an index; -1 when none. */
export function findFrom(re: RegExp, text: string, from: number): number {
  re.lastIndex = from;
  const m = re.exec(text);
  return m === null ? -1 : m.index;
}

/** Index of the last start marker in `head`; -1 when none. */
export function findLastStart(head: string): number {
  let last = -1;
  START_MARKER_RE.lastIndex = 0;
  for (let m = START_MARKER_RE.exec(head); m !== null; m = START_MARKER_RE.exec(head)) last = m.index;
  return last;
}

/**
 * Index of the first line after the marker starting at `at`. A marker whose line has no closing
 * `***` but whose next (non-blank) line ends with one wraps over that line too.
 */
export function endOfMarker(text: string, at: number): number {
  let lineEnd = text.indexOf('\n', at);
  if (lineEnd === -1) return text.length;
  const first = text.slice(at, lineEnd);
  // `***START OF ...***` closes on its own line; so do small-print lines (they never wrap).
  if (/^\s*\*+\s*START/i.test(first) && !MARKER_CLOSE_RE.test(first)) {
    let pos = lineEnd + 1;
    for (let i = 0; i < MAX_MARKER_CONTINUATION_LINES && pos < text.length; i++) {
      const next = text.indexOf('\n', pos);
      const line = text.slice(pos, next === -1 ? text.length : next);
      if (line.trim() === '') break;
      if (MARKER_CLOSE_RE.test(line)) {
        lineEnd = next === -1 ? text.length : next;
        break;
      }
      if (next === -1) break;
      pos = next + 1;
    }
  }
  return Math.min(lineEnd + 1, text.length);
}

/** Drops whole paragraphs of producer credits / HTML-version notes from the top of `body`. */
function dropTopCredits(body: string): string {
  let pos = 0;
  for (let i = 0; i < MAX_CREDIT_PARAGRAPHS; i++) {
    const lead = LEADING_BLANK_LINES_RE.exec(body.slice(pos, pos + 4096));
    const paraStart = pos + (lead === null ? 0 : lead[0].length);
    CREDIT_STICKY_RE.lastIndex = paraStart;
    if (!CREDIT_STICKY_RE.test(body)) break;
    BLANK_LINE_RE.lastIndex = paraStart;
    const gap = BLANK_LINE_RE.exec(body);
    pos = gap === null ? body.length : gap.index + 1;
  }
  return pos === 0 ? body : body.slice(pos);
}

/** Removes leading blank lines and all trailing whitespace (the caller adds the final newline). */
function trimBlankLines(s: string): string {
  return s.replace(LEADING_BLANK_LINES_RE, '').trimEnd();
}
