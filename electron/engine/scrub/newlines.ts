/**
 * CRLF and lone CR become LF. A plain-string replaceAll handles CRLF (about twice as fast as a
 * regex); the regex only runs for the rare lone CR (old Mac files).
 */
export function normalizeNewlines(text: string): string {
  if (!text.includes('\r')) return text;
  const lf = text.replaceAll('\r\n', '\n');
  return lf.includes('\r') ? lf.replace(/\r/g, '\n') : lf;
}
