import { decodeGutenbergBytes } from './decode-bytes';
import { stripGutenbergBoilerplate } from './strip-boilerplate';
import type { ScrubResult } from './scrub-types';

const encoder = new TextEncoder();

/**
 * Cleans one downloaded Gutenberg file: sniff the encoding, strip the licence, re-encode as UTF-8
 * with LF endings and one final newline. Pure and synchronous: the pools run it in workers.
 * `clean` owns its ArrayBuffer (TextEncoder allocates a fresh one), so it can be transferred.
 */
export function scrubBook(bytes: Uint8Array): ScrubResult {
  const decoded = decodeGutenbergBytes(bytes);
  const stripped = stripGutenbergBoilerplate(decoded.text);
  const clean = encoder.encode(stripped.text);
  return {
    clean,
    encoding: decoded.encoding,
    bom: decoded.bom,
    startMarker: stripped.startMarker,
    endMarker: stripped.endMarker,
    rawBytes: bytes.byteLength,
    cleanBytes: clean.byteLength,
    warnings: [...decoded.warnings, ...stripped.warnings],
  };
}
