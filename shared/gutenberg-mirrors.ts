/**
 * Project Gutenberg's official mirror list and the main site's robot policy, kept in the repo so
 * the CLI (`fanout mirrors`), the job checks and the Gutenberg form offer the same list offline.
 *
 * Source of the list: https://www.gutenberg.org/MIRRORS.ALL (linked from the mirroring how-to and
 * the terms of use in github.com/gutenbergtools/gutenbergsite). This copy: the list as saved on
 * 2024-09-01 in github.com/ropensci/gutenbergr (tests/testthat/fixtures/MIRRORS-ALL, commit
 * 2a73b8e), less what Project Gutenberg retired on 2026-06-15 (newsletter of June 2026,
 * gutenbergsite site/newsletter/june.md: the FTP server at gutenberg.pglaf.org, the gopher server;
 * the rsync module at aleph.pglaf.org, use gutenberg.pglaf.org instead). Refresh it from
 * MIRRORS.ALL when it changes; `fanout mirrors --probe` shows which still answer.
 */

export const MIRROR_LIST_SOURCE = 'https://www.gutenberg.org/MIRRORS.ALL';
/** When this copy of the list was taken (and when it was last corrected). */
export const MIRROR_LIST_DATE = '2024-09-01 (retirements of 2026-06-15 applied)';

/** The policy a bulk job at the main site would break, and where it is written. */
export const ROBOT_POLICY_URL = 'https://www.gutenberg.org/policy/robot_access.html';
export const TERMS_OF_USE_URL = 'https://www.gutenberg.org/policy/terms_of_use.html';

export interface GutenbergMirror {
  continent: string;
  nation: string;
  location: string;
  provider: string;
  url: string;
  note: string;
  /** The main site itself (listed, but meant for people: not for bulk jobs). */
  mainSite?: true;
}

export const GUTENBERG_MIRRORS: readonly GutenbergMirror[] = [
  { continent: 'Europe', nation: 'Great Britain', location: 'Kent', provider: 'UK Mirror Service', url: 'http://www.mirrorservice.org/sites/ftp.ibiblio.org/pub/docs/books/gutenberg/', note: '' },
  { continent: 'Europe', nation: 'Great Britain', location: 'Kent', provider: 'UK Mirror Service', url: 'ftp://ftp.mirrorservice.org/sites/ftp.ibiblio.org/pub/docs/books/gutenberg/', note: '' },
  { continent: 'Europe', nation: 'Great Britain', location: 'Kent', provider: 'UK Mirror Service', url: 'rsync://rsync.mirrorservice.org/gutenberg/', note: '' },
  { continent: 'Europe', nation: 'Portugal', location: 'Braga', provider: 'Universidade do Minho', url: 'http://eremita.di.uminho.pt/gutenberg/', note: '' },
  { continent: 'Europe', nation: 'Portugal', location: 'Braga', provider: 'Universidade do Minho', url: 'ftp://eremita.di.uminho.pt/pub/gutenberg/', note: '' },
  { continent: 'North America', nation: 'Canada', location: 'Waterloo', provider: 'University of Waterloo Computer Science Club', url: 'http://mirror.csclub.uwaterloo.ca/gutenberg/', note: '' },
  { continent: 'North America', nation: 'United States', location: 'Buffalo, NY', provider: 'Jake Nabasny', url: 'https://gutenberg.nabasny.com/', note: '' },
  { continent: 'North America', nation: 'United States', location: 'Chapel Hill', provider: 'iBiblio', url: 'https://www.gutenberg.org/dirs/', note: 'Main Project Gutenberg Collection Site', mainSite: true },
  { continent: 'North America', nation: 'United States', location: 'Chapel Hill', provider: 'iBiblio', url: 'ftp://ftp.ibiblio.org/pub/docs/books/gutenberg/', note: 'Main Project Gutenberg FTP Site.' },
  { continent: 'North America', nation: 'United States', location: 'Pikeville, Kentucky', provider: 'SandyRiver.NET', url: 'https://mirror2.sandyriver.net/pub/gutenberg', note: 'High speed mirror on a 10Gb network connection. Also available by http, and by rsync to rsync://mirror2.sandyriver.net/pub/gutenberg' },
  { continent: 'North America', nation: 'United States', location: 'Salt Lake City', provider: 'Xmission ISP - FTP', url: 'ftp://mirrors.xmission.com/gutenberg/', note: '' },
  { continent: 'North America', nation: 'United States', location: 'Salt Lake City', provider: 'Xmission ISP - HTTP', url: 'http://mirrors.xmission.com/gutenberg/', note: '' },
  { continent: 'North America', nation: 'United States', location: 'San Diego', provider: 'Project Gutenberg', url: 'https://aleph.gutenberg.org/', note: 'High-speed mirror. Includes cache/generated files (epub, mobi, etc.).' },
  { continent: 'North America', nation: 'United States', location: 'San Diego', provider: 'Project Gutenberg', url: 'https://gutenberg.pglaf.org/', note: 'High-speed mirror. Includes cache/generated files (epub, mobi, etc.).' },
  { continent: 'North America', nation: 'United States', location: 'San Diego', provider: 'Project Gutenberg', url: 'rsync://gutenberg.pglaf.org/gutenberg', note: 'High-speed mirror. Includes cache/generated files (epub, mobi, etc.).' },
];

/** Mirrors Fanout can download from (http, https, ftp), the main site left out. */
export function downloadMirrors(): GutenbergMirror[] {
  return GUTENBERG_MIRRORS.filter((m) => !m.mainSite && /^(https?|ftps?):\/\//.test(m.url));
}

/**
 * The main site's host names: "intended for human users only", robots are blocked and sent to the
 * mirrors (robot_access.html); more than ~100 books a day is "many" and must come from a mirror
 * (terms_of_use.html). aleph.gutenberg.org and gutenberg.pglaf.org are mirrors, not the main site.
 */
const MAIN_SITE_HOSTS = new Set(['gutenberg.org', 'www.gutenberg.org', 'gutenberg.net', 'www.gutenberg.net']);

export function isMainSite(url: string): boolean {
  try {
    return MAIN_SITE_HOSTS.has(new URL(url).hostname.toLowerCase().replace(/\.$/, ''));
  } catch {
    return false;
  }
}

/**
 * Why a job may not use this mirror URL, or null. The main site is refused unless the user asked
 * for it explicitly (`allowMainSite`) for one book; `selected` is the number of books the job
 * selects (unknown: treated as more than one).
 */
export function mainSiteProblem(url: string, selected: number | undefined, allowMainSite: boolean): string | null {
  if (!isMainSite(url)) return null;
  // Project Gutenberg's own high-speed mirror first.
  const mirror = downloadMirrors().find((m) => m.provider === 'Project Gutenberg' && m.url.startsWith('https://')) ?? downloadMirrors()[0]!;
  const policy = `Project Gutenberg's main site is for people, not programs: its robot access policy (${ROBOT_POLICY_URL}) blocks automated downloads and sends them to the mirrors`;
  if (!allowMainSite) return `${policy}. Use a mirror, e.g. ${mirror.url} (fanout mirrors lists them), or --allow-main-site for a single book`;
  if (selected !== 1) return `${policy}; --allow-main-site is for a single book, and this job selects ${selected ?? 'more than one'}. Use a mirror, e.g. ${mirror.url}`;
  return null;
}
