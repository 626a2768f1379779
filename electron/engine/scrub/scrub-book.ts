import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { decodeGutenbergBytes, sniffText } from './decode-bytes';
import { locateBook } from './locate-book';
import { normalizeNewlinesInPlace } from './newlines';
import { stripGutenbergBoilerplate } from './strip-boilerplate';
import type { ScrubResult, ScrubWarning, SourceEncoding } from './scrub-types';
import { windows1252ToUtf8 } from './windows-1252';

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const LF = 0x0a;

export interface ScrubBookOptions {
  /**
   * The caller hands `bytes` over (a worker that received them by transfer or IPC): they may be
   * rewritten in place (CRLF → LF) and `clean` may be a view into their buffer. Default false:
   * `bytes` are left untouched.
   */
  consumeInput?: boolean;
  /**
   * Where a windows-1252 book's UTF-8 form is written (`windows1252ToUtf8`'s `into`): a buffer of at
   * least `size` bytes, the caller's own, not to be reused before it is done with `clean` (which
   * may be a view into it). Default: a new buffer per book.
   */
  output?: (size: number) => Buffer<ArrayBuffer>;
}

/**
 * How a book was cleaned, for tests and benchmarks:
 * - `bytes`: the byte-level fast path, markers found in decoded head/tail windows;
 * - `bytes-whole`: the fast path on a short book, decoded whole;
 * - `text`: bytes normalised the fast way, then the reference strip on the decoded text (a window
 *   was too small to be sure);
 * - `reference`: the original decode → strip → encode (several BOMs, broken UTF-8 after a BOM,
 *   UTF-16; and bytes that are no text, refused there).
 */
export type ScrubPath = 'bytes' | 'bytes-whole' | 'text' | 'reference';

/**
 * Cleans one downloaded Gutenberg file: sniff the encoding, strip the licence, UTF-8 with LF
 * endings and one final newline, plus the clean bytes' sha256. Pure and synchronous (apart from
 * `consumeInput`): the pools run it in workers. Output is byte-identical to `scrubBookReference`.
 */
export function scrubBook(bytes: Uint8Array, opts: ScrubBookOptions = {}): ScrubResult {
  return scrubBookTraced(bytes, opts).result;
}

/** `scrubBook`, also telling which path did the work. */
export function scrubBookTraced(bytes: Uint8Array, opts: ScrubBookOptions = {}): { result: ScrubResult; path: ScrubPath } {
  return scrubBytes(bytes, opts.consumeInput ?? false, opts.output) ?? { result: scrubBookReference(bytes), path: 'reference' };
}

/**
 * The reference implementation: decode the whole file to a string, strip, encode. Slower (the
 * whole book is decoded, normalised and re-encoded as strings), kept as the definition the fast
 * path is tested against and for the cases it does not take.
 */
export function scrubBookReference(bytes: Uint8Array): ScrubResult {
  const decoded = decodeGutenbergBytes(bytes);
  const stripped = stripGutenbergBoilerplate(decoded.text);
  const clean = encoder.encode(stripped.text);
  return result(bytes, clean, decoded.encoding, decoded.bom, stripped.startMarker, stripped.endMarker, [
    ...decoded.warnings,
    ...stripped.warnings,
  ]);
}

/**
 * The fast path. Valid UTF-8 stays bytes: BOM skipped, newlines normalised in place, the cut
 * points found by `locateBook`, and `clean` is the kept range (plus one LF) of those same bytes.
 * windows-1252 is transcoded to UTF-8 bytes through a table first. Null before touching `bytes`
 * when the reference path must run.
 */
function scrubBytes(bytes: Uint8Array, consume: boolean, output: ((size: number) => Buffer<ArrayBuffer>) | undefined): { result: ScrubResult; path: ScrubPath } | null {
  // UTF-16 (rare: decoded as a string anyway) and bytes that are no text go the reference way (it decodes or refuses them).
  if (sniffText(bytes).kind !== 'bytes') return null;
  const bom = startsWithBom(bytes, 0);
  let encoding: SourceEncoding = 'utf-8';
  let work: Buffer;
  let start = 0;
  /** `work` is ours to rewrite (consumed input, a private copy, or a transcoding). */
  let owned: boolean;
  if (isUtf8(bytes)) {
    // The reference drops up to three leading BOMs (decoder, decodeGutenbergBytes, strip): rare enough to leave to it.
    if (bom && startsWithBom(bytes, 3)) return null;
    start = bom ? 3 : 0;
    work = asBuffer(bytes);
    owned = consume;
    if (!owned && work.indexOf(0x0d, start) !== -1) {
      // A copy: `new Uint8Array(view)` copies (a Buffer's `slice` would be a view of the caller's bytes).
      work = asBuffer(new Uint8Array(bytes));
      owned = true;
    }
  } else if (bom) {
    return null; // the BOM is trusted, the broken bytes become U+FFFD with a warning: reference path
  } else {
    work = asBuffer(windows1252ToUtf8(bytes, output));
    owned = true;
    encoding = 'windows-1252';
  }
  // Owned or free of CRs (then this only searches): never writes into bytes we may not touch.
  const end = normalizeNewlinesInPlace(work, start, work.length);
  const text = work.subarray(start, end);

  const span = locateBook(text);
  if (span === null) {
    const stripped = stripGutenbergBoilerplate(utf8.decode(text));
    const clean = encoder.encode(stripped.text);
    return { result: result(bytes, clean, encoding, bom, stripped.startMarker, stripped.endMarker, stripped.warnings), path: 'text' };
  }
  let clean: Uint8Array;
  if (span.to === span.from) {
    clean = new Uint8Array(0);
  } else if (owned && span.to < text.length) {
    // The byte after the kept range is trimmed whitespace: it becomes the final LF, no copy.
    text[span.to] = LF;
    clean = new Uint8Array(text.buffer, text.byteOffset + span.from, span.to + 1 - span.from);
  } else {
    clean = new Uint8Array(span.to + 1 - span.from);
    clean.set(text.subarray(span.from, span.to));
    clean[clean.length - 1] = LF;
  }
  const path: ScrubPath = span.whole ? 'bytes-whole' : 'bytes';
  return { result: result(bytes, clean, encoding, bom, span.startMarker, span.endMarker, span.warnings), path };
}

function result(
  bytes: Uint8Array,
  clean: Uint8Array,
  encoding: SourceEncoding,
  bom: boolean,
  startMarker: boolean,
  endMarker: boolean,
  warnings: ScrubWarning[],
): ScrubResult {
  return {
    clean,
    cleanSha256: createHash('sha256').update(clean).digest('hex'),
    encoding,
    bom,
    startMarker,
    endMarker,
    // Read before any transfer could detach the input; `bytes` itself is never detached here.
    rawBytes: bytes.byteLength,
    cleanBytes: clean.byteLength,
    warnings,
  };
}

function startsWithBom(b: Uint8Array, at: number): boolean {
  return b.length >= at + 3 && b[at] === 0xef && b[at + 1] === 0xbb && b[at + 2] === 0xbf;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
