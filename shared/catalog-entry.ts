/**
 * The catalog's data types, shared by the engine's reader and the UI.
 */

/**
 * Largest ebook number accepted (Gutenberg is near 80,000; leave room): the catalog refuses a row
 * beyond it and the mirror layout a book beyond it, one bound for both.
 */
export const MAX_EBOOK = 9_999_999;

/** One book of the Project Gutenberg catalog, as read from pg_catalog.csv or a simple CSV. */
export interface CatalogEntry {
  /** Ebook number (the `Text#` column, or `FileNumber` of the simple format). Always a positive integer. */
  ebook: number;
  /** 'Text', 'Sound', 'Image', ... as the catalog spells it. Simple-format catalogs are all 'Text'. */
  type: string;
  /** Release date as written (`YYYY-MM-DD`), or null when absent (always null in the simple format). */
  issued: string | null;
  /** Title, trimmed. May contain '\n' (a subtitle on its own line); CRLF inside is normalised to LF. */
  title: string;
  /** ISO 639 codes, e.g. ['en'] or ['en', 'fr']. Empty when unknown. */
  languages: string[];
  /** "Surname, Given, 1812-1870 [Role]" strings. Empty for anonymous works. */
  authors: string[];
  /** Library of Congress subject headings. */
  subjects: string[];
  /** Library of Congress classification codes, e.g. ['PR', 'PZ']. */
  locc: string[];
  /** Gutenberg bookshelves, e.g. ['Browsing: Fiction']. */
  bookshelves: string[];
}

/** A row that could not be read. It is reported and skipped; it never stops the job. */
export interface BadCatalogRow {
  /** 1-based physical line of the file where the record starts. */
  line: number;
  /** Why the row was skipped, for a person to read. */
  reason: string;
  /** The record's text (first physical line only when the quoting is broken), when available. */
  raw?: string;
}

/**
 * `official`: pg_catalog.csv (`Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves`).
 * `simple`: the original script's `author,FileNumber,Title`, with or without a header.
 */
export type CatalogFormat = 'official' | 'simple';
