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

/** The simple format's columns as its header names them (case aside; `authors` too), and the official column each fills. */
const SIMPLE_COLUMNS = [
  ['author', 'Authors'],
  ['FileNumber', 'Text#'],
  ['Title', 'Title'],
] as const satisfies ReadonlyArray<readonly [string, OfficialColumn]>;

/** A header's text in a message: its first fields, at most this many characters. */
const SHOWN_HEADER_CHARS = 80;

/** The simple format's columns a header must have (the author may be missing: no author then). */
const SIMPLE_NEEDED = ['FileNumber', 'Title'] as const;

function noColumns(): Record<OfficialColumn, number> {
  return Object.fromEntries(OFFICIAL_COLUMNS.map((c) => [c, -1])) as Record<OfficialColumn, number>;
}

/**
 * Decides the format from the first record (the first line, BOM already stripped):
 * a header with a `Text#` column is the official catalog; anything else is the simple
 * `author,FileNumber,Title` format. Its first line is a book (no header: the columns are in that
 * order, three of them) when it has three fields and the second is a number; else it is a header,
 * and the columns are found by name (any order, any case, more columns allowed: a spreadsheet's
 * export), FileNumber and Title required.
 * Returns a reason string when a header lacks a required column (naming it), or when the first
 * record is neither format's (`/etc/passwd`, a binary file): that file is not a catalog.
 */
export function detectLayout(first: readonly string[]): CatalogLayout | string {
  const head = first.map((f) => f.trim());
  const named = (name: string) => head.findIndex((h) => h.toLowerCase() === name.toLowerCase());
  if (named('Text#') >= 0) {
    const index = noColumns();
    for (const col of OFFICIAL_COLUMNS) index[col] = named(col);
    if (index.Title < 0) return 'not a usable catalog: the pg_catalog.csv header has no Title column; give the unmodified pg_catalog.csv';
    return { format: 'official', hasHeader: true, columns: head.length, index };
  }
  const index = noColumns();
  // No header: the original script's three columns, in its order.
  if (head.length === 3 && UINT.test(head[1]!)) {
    index.Authors = 0;
    index['Text#'] = 1;
    index.Title = 2;
    return { format: 'simple', hasHeader: false, columns: 3, index };
  }
  for (const [name, col] of SIMPLE_COLUMNS) index[col] = named(name);
  if (index.Authors < 0) index.Authors = named('authors');
  const found = SIMPLE_COLUMNS.some(([, col]) => index[col] >= 0);
  if (!found && head.length !== 3) {
    return `not a catalog: its first line has ${head.length} field${head.length === 1 ? '' : 's'}, neither the pg_catalog.csv header (Text#,Type,Issued,Title,…) nor author,FileNumber,Title; give pg_catalog.csv or a CSV of that form`;
  }
  const missing = SIMPLE_NEEDED.filter((name) => index[SIMPLE_COLUMNS.find(([n]) => n === name)![1]] < 0);
  if (missing.length > 0) {
    const all = head.join(',');
    const shown = all.length > SHOWN_HEADER_CHARS ? `${all.slice(0, SHOWN_HEADER_CHARS - 1)}…` : all;
    return `not a usable catalog: its header (${shown}) has no ${missing.join(' and no ')} column; a CSV catalog needs the columns author,FileNumber,Title (by these names, in any order; more columns are ignored), or give pg_catalog.csv`;
  }
  return { format: 'simple', hasHeader: true, columns: head.length, index };
}
