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
