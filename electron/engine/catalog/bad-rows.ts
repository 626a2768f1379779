import type { BadCatalogRow } from '../../../shared/catalog-entry';

/** How many bad rows a summary quotes; the rest are only counted. */
export const BAD_ROWS_QUOTED = 3;

/**
 * Counts a catalog's bad rows and keeps the first few, so a file with thousands of them gives one
 * line ("1,204 bad rows skipped (line 3: …; line 7: …; line 9: …)"), not one warning per row.
 */
export class BadRowTally {
  count = 0;
  readonly first: BadCatalogRow[] = [];

  /** Bound, so it can be passed as `onBadRow` directly. */
  readonly add = (bad: BadCatalogRow): void => {
    this.count++;
    if (this.first.length < BAD_ROWS_QUOTED) this.first.push(bad);
  };

  /** The one-line summary, or null when there were none. */
  describe(): string | null {
    if (this.count === 0) return null;
    const quoted = this.first.map((b) => `line ${b.line}: ${b.reason}`).join('; ');
    const more = this.count > this.first.length ? '; …' : '';
    return `${this.count.toLocaleString('en-US')} bad row${this.count === 1 ? '' : 's'} skipped (${quoted}${more})`;
  }
}
