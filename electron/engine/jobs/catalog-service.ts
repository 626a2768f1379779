/**
 * Loaded catalogs, searched on the host side.
 *
 * Why server-side: the official catalog is ~75,000 rows / ~20 MB. Shipping it over IPC or a
 * WebSocket would cost seconds and keep a second copy in the renderer; instead the host keeps
 * compact columns plus one lower-cased haystack per row, a query is a linear scan (~10 ms for
 * 75k rows), and the virtual table fetches only the pages it shows (`catalog:search` with
 * offset/limit). The last query's matches are cached, so scrolling is O(page size).
 */
import { randomUUID } from 'node:crypto';
import type { CatalogInfo, CatalogPage, CatalogQuery, CatalogRow } from '../../../shared/ipc';
import { FanoutError } from '../core/fanout-error';
import type { CatalogEntry } from '../../../shared/catalog-entry';

/** The subset of the catalog reader's entry that the table needs. */
export type CatalogEntryLike = Omit<CatalogEntry, 'locc' | 'bookshelves'>;

export type CatalogReader = (
  path: string,
  opts: { signal?: AbortSignal; onBadRow?: (info: unknown) => void },
) => AsyncIterable<CatalogEntryLike>;

/** Catalogs kept loaded at most (each ~20-40 MB for the full official catalog). */
const MAX_LOADED = 2;

interface LoadedCatalog {
  info: CatalogInfo;
  rows: CatalogRow[];
  /** Lower-cased "title \u0001 authors \u0001 languages \u0001 subjects" per row. */
  hay: string[];
  lastKey: string | null;
  lastMatches: Int32Array | null;
}

function norm(s: string | undefined): string {
  return (s ?? '').trim().toLowerCase();
}

export class CatalogService {
  readonly #loaded = new Map<string, LoadedCatalog>();

  constructor(private readonly reader: CatalogReader) {}

  async load(path: string, signal?: AbortSignal): Promise<CatalogInfo> {
    const t0 = performance.now();
    const rows: CatalogRow[] = [];
    const hay: string[] = [];
    let badRows = 0;
    for await (const e of this.reader(path, { signal, onBadRow: () => void badRows++ })) {
      const row: CatalogRow = {
        ebook: e.ebook,
        type: e.type,
        issued: e.issued ?? '',
        title: e.title,
        authors: e.authors.join('; '),
        languages: e.languages.join('; '),
        subjects: e.subjects.join('; '),
      };
      rows.push(row);
      hay.push(`${row.title}\u0001${row.authors}\u0001${row.languages}\u0001${row.subjects}\u0001${row.ebook}`.toLowerCase());
    }
    const info: CatalogInfo = { catalogId: randomUUID(), path, rows: rows.length, badRows, loadMs: Math.round(performance.now() - t0) };
    this.#loaded.set(info.catalogId, { info, rows, hay, lastKey: null, lastMatches: null });
    while (this.#loaded.size > MAX_LOADED) this.#loaded.delete(this.#loaded.keys().next().value!);
    return info;
  }

  #get(catalogId: string): LoadedCatalog {
    const c = this.#loaded.get(catalogId);
    if (!c) throw new FanoutError('CATALOG_NOT_LOADED', 'This catalog is no longer loaded; load it again');
    return c;
  }

  #matches(c: LoadedCatalog, q: CatalogQuery): Int32Array {
    const text = norm(q.text);
    const author = norm(q.author);
    const title = norm(q.title);
    const language = norm(q.language);
    const subject = norm(q.subject);
    const key = JSON.stringify([text, author, title, language, subject]);
    if (c.lastKey === key && c.lastMatches) return c.lastMatches;
    const out = new Int32Array(c.rows.length);
    let n = 0;
    const words = text === '' ? [] : text.split(/\s+/);
    for (let i = 0; i < c.rows.length; i++) {
      const h = c.hay[i]!;
      let ok = true;
      for (const w of words) if (!h.includes(w)) { ok = false; break; }
      if (!ok) continue;
      const r = c.rows[i]!;
      if (author && !r.authors.toLowerCase().includes(author)) continue;
      if (title && !r.title.toLowerCase().includes(title)) continue;
      if (language && !r.languages.toLowerCase().split('; ').includes(language)) continue;
      if (subject && !r.subjects.toLowerCase().includes(subject)) continue;
      out[n++] = i;
    }
    c.lastKey = key;
    c.lastMatches = out.subarray(0, n);
    return c.lastMatches;
  }

  search(catalogId: string, query: CatalogQuery, offset: number, limit: number): CatalogPage {
    const c = this.#get(catalogId);
    const m = this.#matches(c, query);
    const rows: CatalogRow[] = [];
    for (let i = offset; i < Math.min(m.length, offset + limit); i++) rows.push(c.rows[m[i]!]!);
    return { catalogId, total: m.length, offset, rows };
  }

  ids(catalogId: string, query: CatalogQuery): number[] {
    const c = this.#get(catalogId);
    return Array.from(this.#matches(c, query), (i) => c.rows[i]!.ebook);
  }
}
