import { describe, expect, it } from 'vitest';
import { GUTENBERG_MIRRORS, MIRROR_LIST_DATE, MIRROR_LIST_SOURCE, downloadMirrors, isMainSite, mainSiteProblem } from '../../../shared/gutenberg-mirrors';
import { formatMirrorList } from '../../../electron/cli/mirrors-command';

describe("Project Gutenberg's mirror list and main-site policy", () => {
  it('keeps the list with its source and date; every URL parses; the offered ones exclude the main site and what Fanout cannot fetch', () => {
    expect(MIRROR_LIST_SOURCE).toBe('https://www.gutenberg.org/MIRRORS.ALL');
    expect(MIRROR_LIST_DATE).toMatch(/^\d{4}-\d{2}-\d{2}/);
    for (const m of GUTENBERG_MIRRORS) expect(() => new URL(m.url)).not.toThrow();
    const offered = downloadMirrors().map((m) => m.url);
    expect(offered).toContain('https://aleph.gutenberg.org/');
    expect(offered.some((u) => isMainSite(u) || u.startsWith('rsync:'))).toBe(false);
    // Retired on 2026-06-15 (PG newsletter, June 2026): not offered.
    expect(GUTENBERG_MIRRORS.some((m) => m.url.startsWith('ftp://gutenberg.pglaf.org') || m.url.startsWith('gopher:'))).toBe(false);
  });

  it('knows the main site from its mirrors', () => {
    for (const main of ['https://www.gutenberg.org/dirs/', 'http://gutenberg.org/', 'https://WWW.GUTENBERG.ORG./files/']) expect(isMainSite(main), main).toBe(true);
    for (const mirror of ['https://aleph.gutenberg.org/', 'https://gutenberg.pglaf.org/', 'ftp://ftp.ibiblio.org/pub/docs/books/gutenberg/', 'not a url']) expect(isMainSite(mirror), mirror).toBe(false);
  });

  it('refuses the main site, naming the policy and a mirror; the override is for one book only', () => {
    const refusal = mainSiteProblem('https://www.gutenberg.org/', 500, false)!;
    expect(refusal).toMatch(/robot access policy \(https:\/\/www\.gutenberg\.org\/policy\/robot_access\.html\)/);
    expect(refusal).toMatch(/e\.g\. https:\/\/aleph\.gutenberg\.org\//);
    expect(refusal).toMatch(/--allow-main-site for a single book/);
    expect(mainSiteProblem('https://www.gutenberg.org/', 1, false)).not.toBeNull();
    expect(mainSiteProblem('https://www.gutenberg.org/', 2, true)).toMatch(/for a single book, and this job selects 2/);
    expect(mainSiteProblem('https://www.gutenberg.org/', undefined, true)).not.toBeNull();
    expect(mainSiteProblem('https://www.gutenberg.org/', 1, true)).toBeNull();
    expect(mainSiteProblem('https://aleph.gutenberg.org/', 70_000, false)).toBeNull();
  });

  it('prints the list with where each mirror is and the main site marked', () => {
    const text = formatMirrorList(GUTENBERG_MIRRORS);
    expect(text).toContain(MIRROR_LIST_SOURCE);
    expect(text).toMatch(/https:\/\/www\.gutenberg\.org\/dirs\/ {2}\[main site: not for bulk jobs\]/);
    expect(text).toMatch(/Europe \/ Great Britain \/ Kent · UK Mirror Service/);
  });
});
