import type { CatalogFormat } from '../../../shared/catalog-entry';

/** Column names of the official pg_catalog.csv, as its header spells them. */
export const OFFICIAL_COLUMNS = ['Text#', 'Type', 'Issued', 'Title', 'Language', 'Authors', 'Subjects', 'LoCC', 'Bookshelves'] as const;
type OfficialColumn = (typeof OFFICIAL_COLUMNS)[number];

/** How to read data records, decided once from the first record of the file. */
export interface CatalogLayout {
  format: CatalogFormat;
  /** Whether the first record is a header (and so not a book). */
  hasHeader: boolean;
  /** Number of fields a data record must have. */
  columns: number;
  /**
   * Field index per official column, -1 when the header lacks it. Taken from the header rather than
   * assumed, so a reordered or extended catalog still reads correctly.
   */
  index: Record<OfficialColumn, number>;
}

const UINT = /^\d+$/;

/**
 * Decides the format from the first record (the first line, BOM already stripped):
 * a header with a `Text#` column is the official catalog; anything else is the simple
 * `author,FileNumber,Title` format, whose first line is a header when its FileNumber column is
 * not a number (a data row always has one there), e.g. `author,FileNumber,Title`.
 * Returns a reason string when the official header lacks a required column, or when the first
 * record is neither format's (`/etc/passwd`, a binary file): that file is not a catalog.
 */
export function detectLayout(first: readonly string[]): CatalogLayout | string {
  const head = first.map((f) => f.trim());
  if (head.some((h) => h.toLowerCase() === 'text#')) {
    const index = {} as Record<OfficialColumn, number>;
    for (const col of OFFICIAL_COLUMNS) index[col] = head.findIndex((h) => h.toLowerCase() === col.toLowerCase());
    if (index.Title < 0) return 'not a usable catalog: the pg_catalog.csv header has no Title column; give the unmodified pg_catalog.csv';
    return { format: 'official', hasHeader: true, columns: head.length, index };
  }
  const index = Object.fromEntries(OFFICIAL_COLUMNS.map((c) => [c, -1])) as Record<OfficialColumn, number>;
  index.Authors = 0;
  index['Text#'] = 1;
  index.Title = 2;
  if (head.length !== 3) {
    return `not a catalog: its first line has ${head.length} field${head.length === 1 ? '' : 's'}, neither the pg_catalog.csv header (Text#,Type,Issued,Title,…) nor author,FileNumber,Title; give pg_catalog.csv or a CSV of that form`;
  }
  const hasHeader = !UINT.test(head[1] ?? '');
  return { format: 'simple', hasHeader, columns: 3, index };
}
