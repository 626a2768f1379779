import { idInRanges } from '../../../shared/id-ranges';
import type { CatalogSelection, IdRange } from '../../../shared/job-spec';
import type { CatalogEntry } from '../../../shared/catalog-entry';
import { foldText } from './fold-text';

/** A compiled selection: true when the entry is wanted. Ignores `limit` (that needs a count). */
export type CatalogPredicate = (entry: CatalogEntry) => boolean;

/**
 * Sorted, merged copy of the ranges. parseIdRanges already returns that shape, but a selection that
 * arrives over IPC is only schema-checked, and binary search is wrong on unsorted input.
 */
function normaliseRanges(ranges: readonly IdRange[]): IdRange[] {
  const sorted = ranges.filter((r) => r.from <= r.to).map((r) => ({ ...r })).sort((a, b) => a.from - b.from);
  const merged: IdRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else merged.push(r);
  }
  return merged;
}

/** Folded needle, or undefined when the filter is absent or blank (blank means "no filter"). */
function needle(value: string | undefined): string | undefined {
  const n = value === undefined ? '' : foldText(value.trim());
  return n === '' ? undefined : n;
}

function someIncludes(values: readonly string[], folded: string): boolean {
  for (const v of values) if (foldText(v).includes(folded)) return true;
  return false;
}

/**
 * Compiles a selection once (folded needles, sorted ranges) into a predicate.
 *
 * Semantics, all filters ANDed, absent or blank filters ignored:
 * - `ids`: the ebook number lies in one of the ranges (binary search); an empty list is no filter.
 * - `title`: substring of the title.
 * - `author`: every word of the needle is a substring of one same author, so "Charles Dickens"
 *   finds "Dickens, Charles, 1812-1870" (the catalog stores "Surname, Given").
 * - `subject`: substring of a subject or of a bookshelf.
 * - `language`: equals one of the entry's codes; several codes may be given ("en, fr"). Equality,
 *   not substring, because codes are 2-3 letters: "e" must not select "en", "de" and "es".
 * - `type`: equals the entry's type ('Text', 'Sound', ...).
 * Every comparison is case- and accent-insensitive (see fold-text.ts). An entry that lacks the
 * filtered attribute (simple-format catalogs have no language or subjects) does not match.
 */
export function compileSelection(selection: CatalogSelection): CatalogPredicate {
  const ranges = selection.ids && selection.ids.length > 0 ? normaliseRanges(selection.ids) : undefined;
  const type = needle(selection.type);
  const languages = needle(selection.language)?.split(/[\s,;]+/).filter((c) => c !== '');
  const title = needle(selection.title);
  const authorWords = needle(selection.author)?.split(/[\s,]+/).filter((w) => w !== '');
  const subject = needle(selection.subject);

  return (e) => {
    if (ranges && !idInRanges(e.ebook, ranges)) return false;
    if (type !== undefined && foldText(e.type) !== type) return false;
    if (languages && !e.languages.some((l) => languages.includes(foldText(l)))) return false;
    if (title !== undefined && !foldText(e.title).includes(title)) return false;
    if (authorWords && authorWords.length > 0) {
      const hit = e.authors.some((a) => {
        const folded = foldText(a);
        return authorWords.every((w) => folded.includes(w));
      });
      if (!hit) return false;
    }
    if (subject !== undefined && !someIncludes(e.subjects, subject) && !someIncludes(e.bookshelves, subject)) return false;
    return true;
  };
}

/** Compiled predicates per selection object, so repeated matchesSelection calls fold needles once. */
const compiled = new WeakMap<CatalogSelection, CatalogPredicate>();

/**
 * Whether `entry` satisfies `selection` (see {@link compileSelection} for the rules; `limit` is
 * ignored here). Caches the compiled selection per object: do not mutate a selection after use.
 */
export function matchesSelection(entry: CatalogEntry, selection: CatalogSelection): boolean {
  let match = compiled.get(selection);
  if (!match) {
    match = compileSelection(selection);
    compiled.set(selection, match);
  }
  return match(entry);
}

/**
 * Yields the books that match `selection`, in input order, each once (from its first row: a
 * hand-made catalog may list a book twice, and a job would fetch it twice at once into one file;
 * `onRepeat` hears of each later row), stopping after `selection.limit` books. Stopping (or the
 * consumer breaking out) ends the upstream iteration, which for readCatalog closes the file.
 * Memory: the ebook numbers yielded.
 */
export async function* selectBooks(
  entries: AsyncIterable<CatalogEntry>,
  selection: CatalogSelection,
  onRepeat?: (ebook: number) => void,
): AsyncGenerator<CatalogEntry, void, undefined> {
  const match = compileSelection(selection);
  const limit = selection.limit ?? Number.POSITIVE_INFINITY;
  if (limit <= 0) return;
  const seen = new Set<number>();
  for await (const entry of entries) {
    if (!match(entry)) continue;
    if (seen.has(entry.ebook)) {
      onRepeat?.(entry.ebook);
      continue;
    }
    seen.add(entry.ebook);
    yield entry;
    if (seen.size >= limit) return;
  }
}

/** The selection's filters, in the order `explainSelection` applies them. */
export const SELECTION_FILTERS = ['ids', 'type', 'language', 'author', 'title', 'subject'] as const;
export type SelectionFilter = (typeof SELECTION_FILTERS)[number];

/** What a selection picks from a catalog, and why it picks nothing when it does (see explainSelection). */
export interface SelectionReport {
  /** Books in the catalog. */
  books: number;
  /** Lowest and highest ebook number in the catalog (0 when empty). */
  firstEbook: number;
  lastEbook: number;
  /** Books the selection picks (each once, however many rows list it), `limit` applied. */
  selected: number;
  /**
   * When nothing is picked: the first filter after which no book was left, how many were left
   * before it, and whether it was the first filter applied (`before` is then the whole catalog).
   */
  emptiedBy?: { filter: SelectionFilter; before: number; first: boolean };
  /**
   * Requested ebook numbers that the catalog does not list: how many, the first few, how many lie
   * past its last number (a catalog cut short, pg_catalog.csv being in ebook order, or older than
   * the books), and all of them as merged ranges (at most one more than the books found in the ranges).
   */
  missing: { count: number; first: number[]; pastLast: number; ranges: IdRange[] };
}

/** How many missing ebook numbers a report quotes. */
const MISSING_QUOTED = 5;

function isActive(selection: CatalogSelection, f: SelectionFilter): boolean {
  if (f === 'ids') return (selection.ids?.length ?? 0) > 0;
  return (selection[f]?.trim() ?? '') !== '';
}

/**
 * Reads `entries` once and says what `selection` picks: the count, which filter emptied it (filters
 * applied one at a time, in SELECTION_FILTERS order) and which requested ebook numbers are not in the
 * catalog. Memory: the ebook numbers found inside the requested ranges and those picked, at most one
 * per catalog row each.
 */
export async function explainSelection(entries: AsyncIterable<CatalogEntry>, selection: CatalogSelection): Promise<SelectionReport> {
  const filters = SELECTION_FILTERS.filter((f) => isActive(selection, f));
  const predicates = filters.map((f) => compileSelection({ [f]: selection[f] }));
  const passed = new Array<number>(filters.length).fill(0);
  const ranges = selection.ids && selection.ids.length > 0 ? normaliseRanges(selection.ids) : [];
  const found = new Set<number>();
  /** Picked books: a book listed twice is picked once (as selectBooks does). */
  const picked = new Set<number>();
  let books = 0;
  let firstEbook = 0;
  let lastEbook = 0;
  for await (const e of entries) {
    books++;
    if (books === 1 || e.ebook < firstEbook) firstEbook = e.ebook;
    if (e.ebook > lastEbook) lastEbook = e.ebook;
    let i = 0;
    while (i < predicates.length && predicates[i]!(e)) {
      if (filters[i] === 'ids') found.add(e.ebook);
      passed[i]!++;
      i++;
    }
    if (i === predicates.length) picked.add(e.ebook);
  }
  const matched = picked.size;
  const report: SelectionReport = { books, firstEbook, lastEbook, selected: Math.min(matched, selection.limit ?? Infinity), missing: missingIds(ranges, found, lastEbook) };
  const emptied = passed.findIndex((n) => n === 0);
  if (matched === 0 && emptied >= 0) report.emptiedBy = { filter: filters[emptied]!, before: emptied === 0 ? books : passed[emptied - 1]!, first: emptied === 0 };
  return report;
}

function missingIds(ranges: readonly IdRange[], found: ReadonlySet<number>, lastEbook: number): SelectionReport['missing'] {
  let requested = 0;
  let pastLast = 0;
  for (const r of ranges) {
    requested += r.to - r.from + 1;
    if (r.to > lastEbook) pastLast += r.to - Math.max(r.from, lastEbook + 1) + 1;
  }
  const count = requested - found.size;
  if (count === 0) return { count, first: [], pastLast, ranges: [] };
  // The gaps between the found numbers, range by range (ranges are sorted and merged).
  const sorted = Float64Array.from(found).sort();
  const gaps: IdRange[] = [];
  let k = 0;
  for (const r of ranges) {
    let next = r.from;
    while (k < sorted.length && sorted[k]! <= r.to) {
      const id = sorted[k++]!;
      if (id > next) gaps.push({ from: next, to: id - 1 });
      next = id + 1;
    }
    if (next <= r.to) gaps.push({ from: next, to: r.to });
  }
  const first: number[] = [];
  for (const g of gaps) {
    for (let id = g.from; id <= g.to && first.length < MISSING_QUOTED; id++) first.push(id);
    if (first.length >= MISSING_QUOTED) break;
  }
  return { count, first, pastLast, ranges: gaps };
}
