import { isAscii } from 'node:buffer';

/**
 * windows-1252 → string. Node's `TextDecoder('windows-1252')` is really ISO-8859-1 (it leaves
 * 0x80-0x9F as C1 controls), so the 32 bytes where the two differ are mapped here. The five bytes
 * windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) keep their C1 code point, as in the
 * WHATWG Encoding Standard: no byte is ever lost.
 */
const C1_TO_CP1252 =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

const C1_RE = /[\u0080-\u009F]/g;

/** Decodes windows-1252 bytes. Latin-1 first (native, fast), then a fix-up pass only if needed. */
export function decodeWindows1252(buf: Uint8Array): string {
  const latin1 = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1');
  C1_RE.lastIndex = 0;
  if (!C1_RE.test(latin1)) return latin1;
  return latin1.replace(C1_RE, (c) => C1_TO_CP1252[c.charCodeAt(0) - 0x80] ?? c);
}

/**
 * The UTF-8 form of every byte 0x80-0xFF read as windows-1252, flattened for a tight loop:
 * `HIGH_LEN[b - 0x80]` bytes (2 or 3) starting at `HIGH_UTF8[(b - 0x80) * 3]`. Built from the
 * same table `decodeWindows1252` uses, so both directions always agree.
 */
const HIGH_LEN = new Uint8Array(128);
const HIGH_UTF8 = new Uint8Array(128 * 3);
{
  const encoder = new TextEncoder();
  for (let b = 0x80; b <= 0xff; b++) {
    const ch = b < 0xa0 ? C1_TO_CP1252[b - 0x80]! : String.fromCharCode(b);
    const utf8 = encoder.encode(ch);
    HIGH_LEN[b - 0x80] = utf8.length;
    HIGH_UTF8.set(utf8, (b - 0x80) * 3);
  }
}

/**
 * Blocks checked with `isAscii` (simdutf): a big block first (one call per 8 KiB of a mostly-ASCII
 * book), then, if it holds a high byte, its small blocks. Runs of ASCII small blocks are copied
 * natively in one go; only small blocks holding a high byte run the table loop.
 */
const BLOCK = 256;
const BIG_BLOCK = 32 * BLOCK;

/** Blocks sampled (evenly spread) to tell a text with accents on most lines from one with a few per page. */
const SAMPLES = 64;

/** Bytes of Latin-1 turned into one (one-byte) string at a time: a copy, well below V8's large-object size. */
const PIECE = 64 * 1024;

/**
 * Latin-1 → UTF-8 into `out` (at least twice `src`'s length: no Latin-1 byte takes more than two),
 * a piece at a time: each piece read as a one-byte string (`latin1`, a copy) and written as UTF-8
 * by V8's encoder. No book-sized string, and no output buffer of its own: ICU's `transcode`, used
 * before, allocated three times the input per book (a fresh mmap at `fanout gutenberg`'s malloc
 * settings, ~90 page faults) and ran ~5 times slower here (docs/BENCHMARKS.md, "Session 8: HTTP
 * CPU per book"). The bytes written, or null when the text holds a byte in 0x80-0x9F (there
 * windows-1252 differs from Latin-1; in the output such a byte is C2 followed by 80-9F, while
 * C2 A0-BF are Latin-1's own NBSP...¿ and the accented letters are C3 xx).
 */
function latin1ToUtf8Into(src: Buffer, out: Buffer): number | null {
  let w = 0;
  for (let i = 0; i < src.length; i += PIECE) w += out.write(src.toString('latin1', i, Math.min(i + PIECE, src.length)), w, 'utf8');
  const written = out.subarray(0, w);
  for (let i = written.indexOf(0xc2); i !== -1; i = written.indexOf(0xc2, i + 2)) if (written[i + 1]! < 0xa0) return null;
  return w;
}

/**
 * A high byte in at least a quarter of SAMPLES blocks spread over the text: a French or German
 * book, or the bench's synthetic ones (an accent every ~100 bytes: table 100 ms, ICU's `transcode` 39 ms
 * per 43 books; docs/BENCHMARKS.md, "Session 5: HTTP CPU per book"), go the Latin-1 way
 * (`latin1ToUtf8Into`). Real English `-8` files, a few accents per page, stay on the table loop
 * (most of their blocks are copied natively).
 */
function accentsOnMostLines(src: Buffer): boolean {
  if (src.length < SAMPLES * BLOCK) return false;
  const step = Math.floor(src.length / SAMPLES);
  let mixed = 0;
  for (let at = 0; at + BLOCK <= src.length; at += step) if (!isAscii(src.subarray(at, at + BLOCK))) mixed++;
  return mixed * 4 >= SAMPLES;
}

/**
 * windows-1252 bytes → UTF-8 bytes, byte for byte through a table, without building a string:
 * exactly `new TextEncoder().encode(decodeWindows1252(buf))`. Real Latin-1 books are ASCII but
 * for a few accented letters per page, so the bytes go in blocks (see BLOCK). ASCII bytes are
 * copied as they are (newlines included: the caller normalises them on the result).
 *
 * `into(size)`, when given, supplies the buffer the bytes are written to (at least `size` bytes; a
 * scrub thread's kept buffer, read-buffers.ts): the result is then a view of its first bytes.
 * Without it the result owns its whole buffer.
 */
export function windows1252ToUtf8(buf: Uint8Array, into?: (size: number) => Buffer<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const src = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = src.length;
  if (accentsOnMostLines(src)) {
    const out = into ? into(2 * n) : Buffer.allocUnsafeSlow(2 * n);
    const w = latin1ToUtf8Into(src, out);
    // Without `into`, an exact copy: the result owns its whole buffer (it may be moved to another thread).
    if (w !== null) return into ? new Uint8Array(out.buffer, out.byteOffset, w) : new Uint8Array(out.subarray(0, w));
  }
  const mixed = new Uint8Array(Math.ceil(n / BLOCK));
  let size = n;
  for (let big = 0; big < n; big += BIG_BLOCK) {
    const bigEnd = Math.min(big + BIG_BLOCK, n);
    if (isAscii(src.subarray(big, bigEnd))) continue;
    for (let b = big; b < bigEnd; b += BLOCK) {
      const e = Math.min(b + BLOCK, n);
      if (isAscii(src.subarray(b, e))) continue;
      mixed[b / BLOCK] = 1;
      for (let i = b; i < e; i++) {
        const c = src[i]!;
        if (c >= 0x80) size += HIGH_LEN[c - 0x80]! - 1;
      }
    }
  }
  // Never pooled (so it owns its ArrayBuffer), and not zero-filled: every byte is written below.
  const out = into ? into(size) : Buffer.allocUnsafeSlow(size);
  let w = 0;
  /** Start of the pending run of ASCII blocks. */
  let run = 0;
  for (let b = 0, k = 0; b < n; b += BLOCK, k++) {
    if (mixed[k] === 0) continue;
    if (b > run) w += src.copy(out, w, run, b);
    const e = Math.min(b + BLOCK, n);
    for (let i = b; i < e; i++) {
      const c = src[i]!;
      if (c < 0x80) {
        out[w++] = c;
      } else {
        const at = (c - 0x80) * 3;
        out[w++] = HIGH_UTF8[at]!;
        out[w++] = HIGH_UTF8[at + 1]!;
        if (HIGH_LEN[c - 0x80] === 3) out[w++] = HIGH_UTF8[at + 2]!;
      }
    }
    run = e;
  }
  if (n > run) src.copy(out, w, run, n);
  return new Uint8Array(out.buffer, out.byteOffset, size);
}
