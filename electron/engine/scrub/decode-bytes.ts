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

/**
 * Decodes a Gutenberg file's bytes: UTF-8 BOM → UTF-8; valid UTF-8 (pure ASCII included) →
 * UTF-8; anything else → windows-1252. Returns text with LF line endings (CRLF and lone CR
 * normalised) and no BOM.
 */
export function decodeGutenbergBytes(buf: Uint8Array): DecodeResult {
  const warnings: ScrubWarning[] = [];
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
