/**
 * Text folding for catalog search: case- and accent-insensitive, so "merimee" finds "Mérimée" and
 * "bronte" finds "Brontë". Pure, no Node imports (the renderer can highlight with it too).
 *
 * How: Unicode NFD splits a letter from its accents, then combining marks (\p{M}) are dropped and
 * the rest lower-cased. Letters that NFD does not decompose get a tiny explicit map (ß→ss, æ→ae,
 * œ→oe, ø→o, ł→l, đ→d, þ→th). Whitespace runs (a title's embedded newline) become one space.
 * Both the needle and the haystack are folded the same way, so folding only ever widens matches.
 * Plain printable ASCII skips all of it (it is most of the catalog), which keeps this cheap.
 */

const PLAIN_ASCII = /^[\x20-\x7e]*$/;
const MARKS = /\p{M}+/gu;
const SPACES = /\s+/gu;
const LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', þ: 'th', ı: 'i' };
const LETTER_RE = new RegExp(`[${Object.keys(LETTERS).join('')}]`, 'gu');

/** Folds `text` for matching: lower case, no accents, single spaces. */
export function foldText(text: string): string {
  if (PLAIN_ASCII.test(text)) return text.toLowerCase();
  return text
    .normalize('NFD')
    .replace(MARKS, '')
    .toLowerCase()
    .replace(LETTER_RE, (c) => LETTERS[c] ?? c)
    .replace(SPACES, ' ');
}
