import type { CatalogSelection } from '../../../shared/job-spec';
import { BadRowTally, compileSelection, readCatalog, selectBooks, type CatalogEntry } from '../catalog';

/**
 * A job's selected books, from one read of the catalog: the count (for the ETA and the batch
 * sizes) and, for a selection of at most KEEP_SELECTED books, the entries themselves, so the job
 * does not read the catalog a second time (151 ms for the 75,000-row catalog, docs/BENCHMARKS.md:
 * most of a one-book job's fixed cost). A bigger selection is streamed again, so memory stays
 * flat in the job's size. Bad rows are tallied in the first read only.
 */
export class JobSelection {
  readonly badRows = new BadRowTally();
  /** Rows that repeat a book selected from an earlier row (skipped: each book is selected once). */
  readonly repeats = new RepeatTally();
  total = 0;
  #kept: CatalogEntry[] | null = [];
  /** The books selected so far (first read): a catalog row repeating one is not the job's twice. */
  #seen: Set<number> | null = new Set();

  private constructor(
    private readonly catalog: string,
    private readonly selection: CatalogSelection,
  ) {}

  static async read(catalog: string, selection: CatalogSelection, signal: AbortSignal): Promise<JobSelection> {
    const s = new JobSelection(catalog, selection);
    s.#seen = null; // selectBooks keeps its own
    for await (const entry of selectBooks(readCatalog(catalog, { signal, onBadRow: s.badRows.add }), selection, s.repeats.add)) s.#keep(entry);
    return s;
  }

  /**
   * The same, filled by a reader that reads the whole catalog for its own purpose (the CLI's input
   * check, which says what the selection picks): give `add` every catalog entry in order and
   * `badRows.add` every bad row; `selection` is then the job's, and the job reads nothing more.
   */
  static collect(catalog: string, selection: CatalogSelection): { add(entry: CatalogEntry): void; badRows: BadRowTally; selection: JobSelection } {
    const s = new JobSelection(catalog, selection);
    const match = compileSelection(selection);
    const limit = selection.limit ?? Number.POSITIVE_INFINITY;
    const add = (entry: CatalogEntry): void => {
      if (s.total >= limit || !match(entry)) return;
      if (s.#seen!.has(entry.ebook)) s.repeats.add(entry.ebook);
      else s.#keep(entry);
    };
    return { add, badRows: s.badRows, selection: s };
  }

  #keep(entry: CatalogEntry): void {
    this.total++;
    this.#seen?.add(entry.ebook);
    if (this.#kept === null) return;
    if (this.#kept.length < KEEP_SELECTED) this.#kept.push(entry);
    else this.#kept = null;
  }

  /** Whether the entries are in memory (no second read). */
  get kept(): boolean {
    return this.#kept !== null;
  }

  /** The selected entries, in catalog order: the kept ones (handed over once), or a second read. */
  async *entries(signal: AbortSignal): AsyncGenerator<CatalogEntry> {
    this.#seen = null; // the first read is over
    const kept = this.#kept;
    if (kept === null) {
      yield* selectBooks(readCatalog(this.catalog, { signal }), this.selection);
      return;
    }
    this.#kept = null; // a second call reads again
    const slots: Array<CatalogEntry | undefined> = kept;
    for (let i = 0; i < slots.length; i++) {
      const entry = slots[i]!;
      slots[i] = undefined; // dropped as the job goes
      yield entry;
    }
  }
}

/** Rows of a catalog that repeat a book an earlier row listed: how many, and the first few ebooks. */
export class RepeatTally {
  count = 0;
  readonly first: number[] = [];

  readonly add = (ebook: number): void => {
    this.count++;
    if (this.first.length < 5 && !this.first.includes(ebook)) this.first.push(ebook);
  };

  /** The one-line warning, or null when no row repeated a book. */
  describe(): string | null {
    if (this.count === 0) return null;
    const rows = this.count === 1 ? '1 row repeats a book' : `${this.count.toLocaleString('en-US')} rows repeat a book`;
    return `${rows} listed before (ebook ${this.first.join(', ')}${this.count > this.first.length ? ', …' : ''}); the first row of each is used`;
  }
}

/** At most this many entries are kept from the first read (a few MB). */
export const KEEP_SELECTED = 5_000;
