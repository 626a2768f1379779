import { FanoutError } from '../core/fanout-error';
import { MAX_EBOOK } from '../../../shared/catalog-entry';
import type { EncodingHint, MirrorProtocol } from './types';

/**
 * Where Gutenberg mirrors keep ebook N, and which of its files to take.
 *
 * Cost model (see /work/shared/notes/ftp.md): at real-world latency, bulk download is a
 * round-trip problem, so each protocol resolves the file name the cheapest way it can:
 *
 * - FTP: `STAT <dir>` returns the folder listing on the control connection in 1 round trip, then
 *   EPSV + RETR fetch the best file: 4 round trips per book whatever forms exist (a missing book
 *   costs 1). Guessing with RETR costs 3 per miss (EPSV, connect, 550), so it only pays when the
 *   first guess hits more than ~75% of the time; LIST/NLST need a data connection (3 round trips).
 * - HTTP: a GET costs 1 round trip on a keep-alive socket and a 404 is cheap, so we GET `N-0.txt`
 *   directly (the best form, and the most common one on current mirrors: 1 round trip). On 404 we
 *   read the folder index once (1 round trip) and GET the best file it lists (1 more): 3 round trips
 *   at most, instead of up to 7 by guessing every form in turn, and 2 to say a book is missing
 *   (3 with the `cache/epub` check). When the server has no index (403), we fall back to guessing.
 *
 * Batches (`fetchBooks`) pipeline these steps on the session's one connection, so round trips are
 * paid per batch rather than per book: FTP sends every STAT in one write and queues the next books'
 * EPSV + RETR at the server ahead of time; HTTP keeps up to 12 GETs in flight and lets the follow-ups
 * of a miss ride the same pipeline. See ftp-batch.ts, http-pipeline.ts and the README's measurements.
 */

/** One file a book may have on a mirror, in order of preference. */
export interface Candidate {
  /** Remote file name, e.g. `418-0.txt`, `418-8.zip`, `pg418.txt`. */
  remoteName: string;
  /** Remote folder relative to the mirror root, no leading or trailing slash: `4/1/418`. */
  dir: string;
  /** `dir/remoteName`. */
  relPath: string;
  /** Name of the text written locally (a zip's text keeps the zip's stem: `418-8.zip` → `418-8.txt`). */
  textName: string;
  encodingHint: EncodingHint;
  fromZip: boolean;
  /** Lives outside the book folder (`cache/epub/N/`): only HTTP mirrors serve it. */
  cache: boolean;
}

/** Largest ebook number accepted: the catalog's bound (one definition, shared/catalog-entry.ts). */
export { MAX_EBOOK };

export function assertEbook(ebook: number): void {
  if (!Number.isSafeInteger(ebook) || ebook < 1 || ebook > MAX_EBOOK) {
    throw new FanoutError('BAD_INPUT', `Not an ebook number: ${String(ebook)}`, {});
  }
}

/**
 * Gutenberg's folder of ebook N: a single digit N → `0/N`; otherwise every digit but the last as
 * a folder, then N itself. 5 → `0/5`, 418 → `4/1/418`, 12345 → `1/2/3/4/12345`.
 */
export function bookDir(ebook: number): string {
  assertEbook(ebook);
  const s = String(ebook);
  if (s.length === 1) return `0/${s}`;
  return [...s.slice(0, -1).split(''), s].join('/');
}

/** The suffixes of the book folder's files, best first, with what each says about the encoding. */
const FORMS: ReadonlyArray<{ suffix: string; ext: 'txt' | 'zip'; hint: EncodingHint }> = [
  { suffix: '-0', ext: 'txt', hint: 'utf-8' },
  { suffix: '-8', ext: 'txt', hint: 'latin-1' },
  { suffix: '', ext: 'txt', hint: 'unknown' }, // usually ASCII, sometimes Latin-1 bytes
  { suffix: '-0', ext: 'zip', hint: 'utf-8' },
  { suffix: '-8', ext: 'zip', hint: 'latin-1' },
  { suffix: '', ext: 'zip', hint: 'unknown' },
];

/**
 * Every candidate file of `ebook`, best first: `N-0.txt`, `N-8.txt`, `N.txt`, `N-0.zip`,
 * `N-8.zip`, `N.zip`, then (HTTP/HTTPS only) `cache/epub/N/pgN.txt`. Plain text beats zip at equal
 * encoding quality because a text can be resumed byte for byte and costs no unzip.
 */
export function candidates(ebook: number, protocol: MirrorProtocol): Candidate[] {
  const dir = bookDir(ebook);
  const list: Candidate[] = FORMS.map((f) => {
    const remoteName = `${ebook}${f.suffix}.${f.ext}`;
    return {
      remoteName,
      dir,
      relPath: `${dir}/${remoteName}`,
      textName: `${ebook}${f.suffix}.txt`,
      encodingHint: f.hint,
      fromZip: f.ext === 'zip',
      cache: false,
    };
  });
  if (protocol === 'http' || protocol === 'https') {
    const cacheDir = `cache/epub/${ebook}`;
    list.push({
      remoteName: `pg${ebook}.txt`,
      dir: cacheDir,
      relPath: `${cacheDir}/pg${ebook}.txt`,
      textName: `pg${ebook}.txt`,
      encodingHint: 'utf-8',
      fromZip: false,
      cache: true,
    });
  }
  return list;
}

/**
 * The best candidate of the book folder among `names` (a listing of that folder), or null.
 * Only exact candidate names match, so whatever else a listing holds (`../x`, `/etc/passwd`,
 * odd case) is never chosen. The `cache/epub` candidate is not in the folder and is never returned.
 */
export function chooseCandidate(ebook: number, names: Iterable<string>, protocol: MirrorProtocol): Candidate | null {
  const present = new Set(names);
  for (const c of candidates(ebook, protocol)) {
    if (!c.cache && present.has(c.remoteName)) return c;
  }
  return null;
}
