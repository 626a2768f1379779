import { MAX_EBOOK, type CatalogEntry } from '../../../shared/catalog-entry';
import type { CatalogLayout } from './catalog-layout';

const UINT = /^\d+$/;

const SPACE = 32;

/** `s` without surrounding spaces; returns `s` itself in the common already-trimmed case. */
function trimmed(s: string): string {
  return s.length > 0 && (s.charCodeAt(0) <= SPACE || s.charCodeAt(s.length - 1) <= SPACE) ? s.trim() : s;
}

/**
 * Splits a multi-valued field ("a; b; c") on the catalog's separator, exactly '; ' (a bare ';'
 * could belong to a value). Written with indexOf rather than split()+trim(): this runs five times
 * per row and was the top non-GC cost of a catalog read in the profile.
 */
export function splitMulti(field: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const sep = field.indexOf('; ', start);
    const v = trimmed(sep < 0 ? (start === 0 ? field : field.slice(start)) : field.slice(start, sep));
    if (v !== '') out.push(v);
    if (sep < 0) return out;
    start = sep + 2;
  }
}

function at(fields: readonly string[], i: number): string {
  return i < 0 ? '' : (fields[i] ?? '');
}

/**
 * Turns one data record into an entry, or returns why it is not a valid row
 * (wrong column count, an ebook number that is not one or beyond MAX_EBOOK, empty title).
 */
export function recordToEntry(fields: readonly string[], layout: CatalogLayout): CatalogEntry | string {
  if (fields.length !== layout.columns) {
    return `expected ${layout.columns} columns, found ${fields.length}`;
  }
  const { index } = layout;
  const id = trimmed(at(fields, index['Text#']));
  const label = layout.format === 'official' ? 'Text#' : 'FileNumber';
  if (!UINT.test(id)) return `${label} "${id}" is not an ebook number`;
  const ebook = Number(id);
  // Beyond what a mirror holds: a bad row here, not a BAD_INPUT failure at the mirror that fails the job.
  if (ebook < 1 || ebook > MAX_EBOOK) return `${label} "${id}" is not an ebook number (1 to ${MAX_EBOOK})`;
  let title = trimmed(at(fields, index.Title));
  if (title === '') return 'empty title';
  if (title.includes('\r')) title = title.replace(/\r\n?/g, '\n');
  if (layout.format === 'simple') {
    // The original script's format only ever listed texts.
    return { ebook, type: 'Text', issued: null, title, languages: [], authors: splitMulti(at(fields, index.Authors)), subjects: [], locc: [], bookshelves: [] };
  }
  const issued = trimmed(at(fields, index.Issued));
  return {
    ebook,
    type: trimmed(at(fields, index.Type)),
    issued: issued === '' ? null : issued,
    title,
    languages: splitMulti(at(fields, index.Language)),
    authors: splitMulti(at(fields, index.Authors)),
    subjects: splitMulti(at(fields, index.Subjects)),
    locc: splitMulti(at(fields, index.LoCC)),
    bookshelves: splitMulti(at(fields, index.Bookshelves)),
  };
}
