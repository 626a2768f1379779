/**
 * IMAP folder names → safe, readable, unique directory names.
 *
 * Folder paths arrive decoded (imapflow turns modified UTF-7 into Unicode). Each hierarchy level
 * becomes one directory level. A segment keeps its readable characters; what Windows, macOS or
 * Linux cannot hold, what would climb out (`..`), hidden names, reserved device names and the names
 * the archive itself uses inside a folder directory are rewritten. Two folders never share a
 * directory, also on case-insensitive file systems, and a folder keeps its directory across runs
 * (the mapping is persisted by the caller and passed back in as `existing`).
 */

import { join, resolve } from 'node:path';

/** Longest segment we produce, in UTF-16 code units (Windows allows 255; leave room for suffixes). */
const MAX_SEGMENT = 100;

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
/** Names the archive writes inside a folder directory; a subfolder must not take them. */
const ARCHIVE_RESERVED = /^(\d+\.eml|index\.jsonl|state\.json|folders\.json|uidvalidity-\d+)$/i;

/** The directory of an account's archive: `<out>/<user@host>/`. */
export function accountDirOf(outDir: string, account: { user: string; host: string }): string {
  return join(resolve(outDir), sanitizeSegment(`${account.user}@${account.host}`));
}

/** Makes one path segment safe: never empty, never `.`/`..`, no separators, nothing Windows rejects. */
export function sanitizeSegment(raw: string): string {
  let s = raw.normalize('NFC');
  // Control characters, path separators and the characters Windows forbids.
  // eslint-disable-next-line no-control-regex
  s = s.replace(/[\u0000-\u001f\u007f<>:"/\\|?*]/g, '_');
  // Windows strips trailing dots and spaces: "a." and "a" would be one directory.
  s = s.replace(/[. ]+$/g, (m) => '_'.repeat(m.length));
  s = s.replace(/^ +/, (m) => '_'.repeat(m.length));
  if (s.length === 0) s = '_';
  // Hidden files, and keep clear of the archive's own dot files.
  if (s.startsWith('.')) s = `_${s}`;
  if (WINDOWS_RESERVED.test(s) || ARCHIVE_RESERVED.test(s)) s = `_${s}`;
  if (s.length > MAX_SEGMENT) {
    let cut = MAX_SEGMENT;
    const code = s.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // do not split a surrogate pair
    s = s.slice(0, cut);
  }
  return s;
}

export interface FolderRef {
  path: string;
  /** Hierarchy delimiter as the server lists it ("/" or "."), or empty for a flat namespace. */
  delimiter: string;
}

function splitPath(path: string, delimiter: string): string[] {
  return delimiter ? path.split(delimiter) : [path];
}

/**
 * Assigns a relative directory ("/"-separated) to every folder. Entries in `existing` are kept as
 * they are (a folder's files never move); new folders get a directory no other folder uses,
 * compared case-insensitively, by adding " (2)", " (3)"... to the last segment.
 */
export function assignFolderDirs(folders: FolderRef[], existing: Record<string, string> = {}): Record<string, string> {
  const result: Record<string, string> = {};
  const used = new Set<string>();
  const key = (dir: string) => dir.normalize('NFC').toLowerCase();
  for (const [path, dir] of Object.entries(existing)) {
    if (!isSafeRelativeDir(dir)) continue;
    result[path] = dir;
    used.add(key(dir));
  }
  const delimiterOf = new Map(folders.map((f) => [f.path, f.delimiter]));
  const dirOf = (path: string, delimiter: string): string => {
    const known = result[path];
    if (known !== undefined) return known;
    const segments = splitPath(path, delimiter);
    const last = sanitizeSegment(segments[segments.length - 1] ?? '');
    let parentDir = '';
    if (segments.length > 1) {
      const parentPath = segments.slice(0, -1).join(delimiter);
      parentDir = dirOf(parentPath, delimiterOf.get(parentPath) ?? delimiter);
    }
    const base = parentDir ? `${parentDir}/${last}` : last;
    let dir = base;
    for (let n = 2; used.has(key(dir)); n++) dir = `${base} (${n})`;
    used.add(key(dir));
    result[path] = dir;
    return dir;
  };
  const sorted = [...folders].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of sorted) dirOf(f.path, f.delimiter);
  return result;
}

/** True when `dir` is relative, "/"-separated, and every segment is one `sanitizeSegment` could produce. */
export function isSafeRelativeDir(dir: string): boolean {
  if (!dir || dir.startsWith('/') || dir.includes('\\')) return false;
  return dir.split('/').every((seg) => {
    if (!seg || seg === '.' || seg === '..') return false;
    const base = seg.replace(/ \(\d+\)$/, '');
    return sanitizeSegment(base) === base || sanitizeSegment(seg) === seg;
  });
}
