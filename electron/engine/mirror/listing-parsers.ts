/** One entry of a folder listing. */
export interface ListingEntry {
  name: string;
  /** Bytes, or null when the listing does not say (HTML indexes, directories). */
  size: number | null;
  isDir: boolean;
  /** The listing's modification date as written (`Nov 21 20:28`, `11-21-24 08:28PM`), when it has one: resumes compare it. */
  modified?: string;
}

const UNIX_LINE =
  /^([-dlbcpsD])[-rwxsStTl+.@]{9}[+.@]?\s+\d+\s+(?:\S+\s+){1,2}(\d+)\s+([A-Za-z]{3}\s+\d{1,2}\s+(?:\d{1,2}:\d{2}|\d{4}))\s(.+)$/;
const DOS_LINE = /^(\d{2}-\d{2}-\d{2,4}\s+\d{1,2}:\d{2}(?:AM|PM)?)\s+(<DIR>|\d+)\s+(.+)$/i;

/**
 * Parses the reply to `STAT <dir>` (RFC 959: the listing over the control connection), e.g.
 *
 *     213-Status follows:
 *     -rw-r--r--    1 ftp      ftp        310639 Nov 21 20:28 418-0.txt
 *     213 End of status
 *
 * Lines may also carry a `213-` or a space prefix (some servers). Unix `ls -l` and DOS formats are
 * understood; `.`/`..`, totals and unparsable lines are skipped; symlinks give their own name and
 * no size (the listed one is the link's).
 * Bounded: at most 100,000 lines are looked at.
 */
export function parseStatListing(message: string): ListingEntry[] {
  const out: ListingEntry[] = [];
  const lines = message.split(/\r?\n/, 100_000);
  for (let raw of lines) {
    if (/^\d{3} /.test(raw)) continue; // final line "213 End of status"
    if (/^\d{3}-/.test(raw)) {
      raw = raw.slice(4);
      if (!UNIX_LINE.test(raw) && !DOS_LINE.test(raw)) continue; // "213-Status follows:"
    }
    const line = raw.replace(/^ /, '');
    const unix = UNIX_LINE.exec(line);
    if (unix) {
      const type = unix[1]!;
      let name = unix[4]!;
      if (type === 'l') name = name.replace(/ -> .*$/, '');
      if (name === '.' || name === '..') continue;
      // A symlink's size is the length of its target's name, not of the file: unknown.
      out.push({ name, size: type === 'd' || type === 'D' || type === 'l' ? null : Number(unix[2]), isDir: type === 'd' || type === 'D', modified: unix[3]!.replace(/\s+/g, ' ') });
      continue;
    }
    const dos = DOS_LINE.exec(line);
    if (dos) {
      const isDir = dos[2]!.toUpperCase() === '<DIR>';
      out.push({ name: dos[3]!, size: isDir ? null : Number(dos[2]), isDir, modified: dos[1]!.replace(/\s+/g, ' ') });
    }
  }
  return out;
}

/**
 * Names linked from an HTML folder index (nginx/Apache autoindex): every `href` that is a plain
 * relative name in this folder. Hrefs with a scheme, a leading `/`, `?`/`#` parts, `..`, or any
 * path separator after decoding are dropped: the caller only ever matches exact candidate names,
 * and this keeps hostile listings from steering it anywhere else. At most 100,000 links.
 */
export function parseHtmlIndex(html: string): ListingEntry[] {
  const out: ListingEntry[] = [];
  const re = /href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))/gi;
  let m: RegExpExecArray | null;
  let budget = 100_000;
  while ((m = re.exec(html)) !== null && budget-- > 0) {
    let href = (m[1] ?? m[2] ?? m[3] ?? '').replace(/&amp;/g, '&');
    if (!href || /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('/') || /[?#]/.test(href)) continue;
    if (href.startsWith('./')) href = href.slice(2);
    const isDir = href.endsWith('/');
    if (isDir) href = href.slice(0, -1);
    let name: string;
    try {
      name = decodeURIComponent(href);
    } catch {
      continue;
    }
    if (!name || name === '.' || name === '..' || /[/\\]/.test(name) || name.includes('\0')) continue;
    out.push({ name, size: null, isDir });
  }
  return out;
}

/**
 * nginx `autoindex_format json`: `[{"name":"418-0.txt","type":"file","mtime":"…","size":310639}, …]`.
 * Names are raw (not URL-encoded); the same rules as for HTML hrefs keep only plain names in this
 * folder. Null when the text is not such an array. At most 100,000 entries.
 */
export function parseJsonIndex(text: string): ListingEntry[] | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(data)) return null;
  const out: ListingEntry[] = [];
  for (const item of data.slice(0, 100_000)) {
    if (typeof item !== 'object' || item === null) continue;
    const { name, type, size } = item as { name?: unknown; type?: unknown; size?: unknown };
    if (typeof name !== 'string' || !name || name === '.' || name === '..' || /[/\\]/.test(name) || name.includes('\0')) continue;
    const isDir = type === 'directory';
    out.push({ name, size: !isDir && typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : null, isDir });
  }
  return out;
}

/** A folder index of any format mirrors serve: nginx JSON when the body is a JSON array, else HTML autoindex (nginx, Apache, lighttpd). */
export function parseFolderIndex(body: string): ListingEntry[] {
  return (body.trimStart().startsWith('[') ? parseJsonIndex(body) : null) ?? parseHtmlIndex(body);
}

/** What a listing received over a data connection says about its own completeness (see listingShort). */
export type ListingVerdict =
  | { kind: 'counted' }
  | { kind: 'uncounted' }
  | { kind: 'short'; why: string }
  | { kind: 'truncated'; entries: number };

/**
 * Whether a listing's `text` (LIST, NLST or MLSD over a data connection, received whole: the data
 * ended and `reply`, the final 2xx, came) can be the folder's whole listing. A text that does not end
 * with a line end was cut mid-line. pure-ftpd counts the entries in its final reply (`226 N matches
 * total`, after `226-Options: -a -l` lines for LIST; ls.c: one line per match) and sends that `226`
 * after a cut data connection too (its listing writes ignore errors): fewer lines than N is a cut
 * listing (`short`); `226 Output truncated to N matches` is its `-L` limit (`truncated`). vsftpd
 * and ProFTPD count nothing (`uncounted`): only the line end tells.
 */
export function listingShort(text: string, reply: string): ListingVerdict {
  if (text !== '' && !text.endsWith('\n')) return { kind: 'short', why: 'its last line ends without a line end' };
  const truncated = /\bOutput truncated to (\d+) matches/i.exec(reply);
  if (truncated) return { kind: 'truncated', entries: Number(truncated[1]) };
  const announced = /\b(\d+) matches total\b/i.exec(reply);
  if (!announced) return { kind: 'uncounted' };
  const want = Number(announced[1]);
  const lines = text.split('\n').filter((l) => l.trim() !== '').length;
  if (lines !== want) return { kind: 'short', why: `${lines} of the ${want} entries its final reply counts arrived` };
  return { kind: 'counted' };
}
