/**
 * CRLF and lone CR become LF. A plain-string replaceAll handles CRLF (about twice as fast as a
 * regex); the regex only runs for the rare lone CR (old Mac files).
 */
export function normalizeNewlines(text: string): string {
  if (!text.includes('\r')) return text;
  const lf = text.replaceAll('\r\n', '\n');
  return lf.includes('\r') ? lf.replace(/\r/g, '\n') : lf;
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * The same on UTF-8 (or any ASCII-compatible) bytes, in place: `buf[from, end)` is compacted so
 * that CRLF and lone CR become LF; returns the new end. Bytes after it are left as they were.
 * Line runs are moved with `copyWithin` (memmove) between CRs found with `Buffer.indexOf`
 * (memchr), so an LF-only file costs one memchr pass and a CRLF file one memmove per line.
 */
export function normalizeNewlinesInPlace(buf: Buffer, from: number, end: number): number {
  let cr = buf.indexOf(CR, from);
  if (cr === -1 || cr >= end) return end;
  let w = cr;
  for (;;) {
    buf[w++] = LF;
    const pos = cr + 1 < end && buf[cr + 1] === LF ? cr + 2 : cr + 1;
    cr = pos < end ? buf.indexOf(CR, pos) : -1;
    const stop = cr === -1 || cr >= end ? end : cr;
    if (stop > pos) {
      buf.copyWithin(w, pos, stop);
      w += stop - pos;
    }
    if (stop === end) return w;
  }
}
