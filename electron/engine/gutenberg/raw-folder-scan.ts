import { opendir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A name the mirror code gives a book's file in raw/: `N-0.txt`, `N-8.txt`, `N.txt`, `pgN.txt`, a zip's `N-0.zip`; `.part` / `.part.meta` while it downloads. */
const RAW_NAME = /^(?:pg)?(\d+)(?:-\d+)?\.(?:txt|zip)(\.part(?:\.meta)?)?$/;

/** A raw/ file name as the mirror code makes it: its book and whether it is a `.part` or `.part.meta`; null for any other name. */
export function parseRawName(name: string): { ebook: number; part: '.part' | '.part.meta' | undefined } | null {
  const m = RAW_NAME.exec(name);
  return m ? { ebook: Number(m[1]), part: m[2] as '.part' | '.part.meta' | undefined } : null;
}

/**
 * What `<out>/raw/` held when the job started, from one listing (the one `RawParts` would have
 * made at the first book: it is handed the `.part` names, so the folder is still listed once):
 * - which books have a landed text there, so a book no manifest line names but whose file is
 *   there (the manifest deleted, cut or damaged) is said, not silently fetched again;
 * - each book's `.part` and `.part.meta`, so those of a book already done (which nothing will ever
 *   resume) are removed when the re-run skips it, and `fanout verify corpus` stops reporting them.
 * Entries are dropped as each book is looked at (every selected book once), so memory shrinks as the job goes.
 */
export class RawFolderScan {
  /** `.part` names (not `.meta`), handed to `RawParts` (which adds and removes names as books start and land). */
  readonly partNames = new Set<string>();
  readonly #texts = new Set<number>();
  readonly #parts = new Map<number, string[]>();

  private constructor(readonly dir: string) {}

  /** Lists `dir` (created by `prepareOutputFolder`); rejects with the raw error. */
  static async read(dir: string): Promise<RawFolderScan> {
    const scan = new RawFolderScan(dir);
    for await (const entry of await opendir(dir, { bufferSize: 256 })) {
      const raw = parseRawName(entry.name);
      if (!raw) continue;
      const { ebook } = raw;
      if (raw.part === undefined) {
        if (entry.name.endsWith('.txt')) scan.#texts.add(ebook);
        continue;
      }
      if (raw.part === '.part') scan.partNames.add(entry.name);
      const names = scan.#parts.get(ebook);
      if (names) names.push(entry.name);
      else scan.#parts.set(ebook, [entry.name]);
    }
    return scan;
  }

  /** Whether a text of `ebook` was in raw/ at the start (asked once per book). */
  takeHasText(ebook: number): boolean {
    return this.#texts.delete(ebook);
  }

  /** A book found done: its partial downloads are removed (best effort; a failure leaves them for the next run). Their names, or none. */
  async removePartsOf(ebook: number): Promise<string[]> {
    this.#texts.delete(ebook);
    const names = this.#parts.get(ebook);
    if (!names) return [];
    this.#parts.delete(ebook);
    const removed: string[] = [];
    for (const name of names) {
      this.partNames.delete(name);
      try {
        await unlink(join(this.dir, name));
        removed.push(name);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      }
    }
    return removed;
  }
}
