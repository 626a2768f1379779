import type { Transform } from 'node:stream';
import { brotliDecompressSync, createBrotliDecompress, createGunzip, createInflate, gunzipSync, inflateSync } from 'node:zlib';

/**
 * A response body's `Content-Encoding`, undone with Node's zlib: the one place that reads the header
 * and picks the decoder, for books (http-pipeline.ts), folder indexes and the catalog (http-file.ts).
 * A server may compress a file nobody asked it to (Apache `SetOutputFilter DEFLATE` with `force-gzip`).
 */
export type ContentCoding = 'gzip' | 'deflate' | 'br';

const CODINGS: Record<string, ContentCoding> = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate', br: 'br' };

/** null: not compressed (none, `identity`); undefined: a coding Fanout cannot undo; else the coding. */
export function contentCodingOf(header: string | undefined): ContentCoding | null | undefined {
  const encoding = String(header ?? '').trim().toLowerCase();
  return encoding === '' || encoding === 'identity' ? null : CODINGS[encoding];
}

/** A streaming decoder for `coding`. */
export function decoderFor(coding: ContentCoding): Transform {
  return coding === 'gzip' ? createGunzip() : coding === 'deflate' ? createInflate() : createBrotliDecompress();
}

/** `bytes` decoded, at most `maxOutputLength` bytes out; null when they do not decode (cut, damaged, too long). */
export function decodeAll(bytes: Buffer, coding: ContentCoding, maxOutputLength: number): Buffer | null {
  const opts = { maxOutputLength };
  try {
    return coding === 'gzip' ? gunzipSync(bytes, opts) : coding === 'deflate' ? inflateSync(bytes, opts) : brotliDecompressSync(bytes, opts);
  } catch {
    return null;
  }
}

/** zlib's errors: a compressed stream cut or damaged (`Z_BUF_ERROR` "unexpected end of file", `Z_DATA_ERROR`, brotli's `ERR_…`). */
export function isDecodeError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__') || code.startsWith('ERR_BROTLI'));
}
