import { isUtf8 } from 'node:buffer';
import type { DecodeResult, ScrubWarning, SourceEncoding } from './scrub-types';
import { normalizeNewlines } from './newlines';
import { decodeWindows1252 } from './windows-1252';

// One decoder per kind, reused: construction is not free and they hold no state between calls
// (every call is a complete, non-streaming decode).
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');
/*
 * Gutenberg's "ISO-8859-1" (`-8.txt`, and mislabelled `.txt`) files are read as windows-1252: it
 * agrees with Latin-1 on every printable byte, and where they differ (0x80-0x9F) Latin-1 has only
 * C1 control characters, which never occur in a book, while windows-1252 has the curly quotes,
 * dashes and € that Windows-made files really contain. The five bytes windows-1252 leaves
 * undefined still decode (to the C1 code point), so no byte is ever lost. See windows-1252.ts.
 */

/** Bytes looked at to tell UTF-16 and binary data from a byte-per-character text. */
const SNIFF_BYTES = 4096;

/**
 * What a file's bytes are, from a byte-order mark or its first 4 KB:
 * - `utf-16`: a UTF-16 BOM, or NULs on one side of the byte pairs only (odd offsets: LE, even: BE)
 *   in at least 1 pair in 8. A Latin-script UTF-16 text has a zero byte in every character; one in
 *   Cyrillic or Greek has them in its spaces, digits, punctuation and line ends.
 * - `binary`: more than 1% of the bytes looked at are control characters (NUL, and C0 other than
 *   TAB, LF, VT, FF, CR, SUB, ESC) in no UTF-16 pattern: compressed or image data, a zeroed block.
 * - else `bytes`, a UTF-8 or windows-1252 text, decoded as before. A stray NUL (or a few) is a
 *   damaged byte of a text, not a sign of binary data: it is kept like any other byte.
 * A UTF-16 text with no BOM and almost no ASCII (all CJK, say) cannot be told from windows-1252
 * bytes and is not recognised.
 */
export type TextSniff = { kind: 'utf-16'; encoding: 'utf-16le' | 'utf-16be'; bom: boolean } | { kind: 'binary'; why: string } | { kind: 'bytes' };

/** C0 control bytes no text holds: all but TAB, LF, VT, FF, CR, SUB (0x1A, DOS end of file) and ESC. */
const TEXT_CONTROL = 1 << 0x09 | 1 << 0x0a | 1 << 0x0b | 1 << 0x0c | 1 << 0x0d | 1 << 0x1a | 1 << 0x1b;

const count = (n: number) => n.toLocaleString('en-US');

export function sniffText(buf: Uint8Array): TextSniff {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return { kind: 'utf-16', encoding: 'utf-16le', bom: true };
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return { kind: 'utf-16', encoding: 'utf-16be', bom: true };
  const head = buf.subarray(0, Math.min(buf.length, SNIFF_BYTES));
  // Every book goes through here: one indexOf (memchr) for the text without a NUL.
  if (head.indexOf(0) === -1) return { kind: 'bytes' };
  let even = 0;
  let odd = 0;
  let controls = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!;
    if (b >= 0x20 || (TEXT_CONTROL >> b) & 1) continue;
    controls++;
    if (b === 0) {
      if (i & 1) odd++;
      else even++;
    }
  }
  const pairs = head.length >> 1;
  // Half the pairs (a Latin script), or 1 in 8 when there are enough to tell (16: a few words) from a stray NUL or two.
  const oneSided = (side: number, other: number) => pairs > 0 && side > 0 && (side * 2 >= pairs || (side >= 16 && side * 8 >= pairs)) && other * 20 <= side;
  if (oneSided(odd, even)) return { kind: 'utf-16', encoding: 'utf-16le', bom: false };
  if (oneSided(even, odd)) return { kind: 'utf-16', encoding: 'utf-16be', bom: false };
  if (controls * 100 <= head.length) return { kind: 'bytes' };
  const nul = even + odd;
  const looked = head.length === buf.length ? `its ${count(head.length)} bytes` : `its first ${count(head.length)} bytes`;
  const utf16 =
    even > 0 && odd > 0 && even * 20 > odd && odd * 20 > even
      ? `its NULs are at even and odd offsets alike: ${count(even)} and ${count(odd)}`
      : nul === 1
        ? 'one NUL shows no UTF-16 pattern'
        : `its ${count(nul)} NULs, nearly all at ${odd > even ? 'odd' : 'even'} offsets, are too few for UTF-16${odd > even ? 'LE' : 'BE'} (a NUL in 1 byte pair in 8 at least)`;
  return { kind: 'binary', why: `${count(controls)} of ${looked} are control characters (${count(nul)} NUL), which no text holds; not UTF-16 either (${utf16})` };
}

const utf16Strict = { 'utf-16le': new TextDecoder('utf-16le', { fatal: true }), 'utf-16be': new TextDecoder('utf-16be', { fatal: true }) };

/** A UTF-16 text (sniffed by `sniffText`) as a string, without its BOM; throws, saying why, when the bytes are no valid UTF-16. */
function decodeUtf16(buf: Uint8Array, sniff: Extract<TextSniff, { kind: 'utf-16' }>): string {
  try {
    // The fatal decoder refuses an odd length and a lone surrogate; it drops the BOM.
    return utf16Strict[sniff.encoding].decode(buf);
  } catch {
    const name = sniff.encoding === 'utf-16le' ? 'UTF-16LE' : 'UTF-16BE';
    const how = sniff.bom ? 'it starts with a UTF-16 byte order mark' : 'a NUL in every other byte';
    throw new Error(`is ${name} text (${how}) but not valid UTF-16 (an odd number of bytes, or half a surrogate pair); it cannot be read as text`);
  }
}

/** Why the bytes cannot be cleaned (not a text), thrown by `decodeGutenbergBytes` and the fast path alike. */
function notTextError(sniff: Extract<TextSniff, { kind: 'binary' }>): Error {
  return new Error(`is not a text file: ${sniff.why}`);
}

/**
 * Why `buf` cannot be read as a text (what `decodeGutenbergBytes` would throw), or null: for a
 * check before anything is cleaned (`fanout clean`). UTF-16 is decoded to see it is valid.
 */
export function textProblem(buf: Uint8Array): string | null {
  const sniff = sniffText(buf);
  if (sniff.kind === 'binary') return notTextError(sniff).message;
  if (sniff.kind !== 'utf-16') return null;
  try {
    decodeUtf16(buf, sniff);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Decodes a Gutenberg file's bytes: UTF-16 (`sniffText`) → UTF-16; UTF-8 BOM → UTF-8; valid
 * UTF-8 (pure ASCII included) → UTF-8; anything else → windows-1252. Returns text with LF line
 * endings (CRLF and lone CR normalised) and no BOM. Throws when the bytes are no text (NUL bytes)
 * or UTF-16 that is not valid: such bytes would come out as mojibake.
 */
export function decodeGutenbergBytes(buf: Uint8Array): DecodeResult {
  const warnings: ScrubWarning[] = [];
  const sniff = sniffText(buf);
  if (sniff.kind === 'binary') throw notTextError(sniff);
  if (sniff.kind === 'utf-16') {
    let text = decodeUtf16(buf, sniff);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { text: normalizeNewlines(text), encoding: sniff.encoding, bom: sniff.bom, warnings };
  }
  const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  let text: string;
  let encoding: SourceEncoding = 'utf-8';
  // isUtf8 (simdutf, many GB/s) answers first, so the strict decoder never throws in the hot
  // path: a Latin-1 book costs one validation pass, not a failed decode plus a second decode.
  const valid = isUtf8(buf);
  if (valid) {
    text = utf8Strict.decode(buf);
  } else if (bom) {
    // The BOM is a declaration: trust it, but say so if the bytes break it.
    text = utf8Lenient.decode(buf);
    warnings.push('invalid-utf8-after-bom');
  } else {
    text = decodeWindows1252(buf);
    encoding = 'windows-1252';
  }
  // TextDecoder drops a leading BOM already (ignoreBOM: false); a BOM after a re-save can remain.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text: normalizeNewlines(text), encoding, bom, warnings };
}
