import { mkdir, opendir } from 'node:fs/promises';

/**
 * What a job knows about the `.part` files in its `raw/` folder, so that `BookSink.open` neither
 * creates the folder nor `stat`s a `.part` per book (two pool hops per book, ~12 ms of CPU per
 * 200-book job: docs/BENCHMARKS.md, "Session 5: HTTP main thread"). The folder is created and
 * listed once, at the first book; after that a `.part` can exist only if it was there then or
 * this job started it (every writer of `raw/` works under the job's output lock, through
 * BookSink). So a name in neither is known missing; a name in one of them is `stat`ed as before.
 * A name leaves the set once its book has landed (renamed or removed), keeping it small at 75,000 books.
 */
export class RawParts {
  private listed: Promise<Set<string>> | null = null;
  /** The listing once read (a book lands only after its `mayExist`). */
  private known: Set<string> | null = null;

  /** `listed`: the folder's `.part` names from a listing the job made already (gutenberg/raw-folder-scan.ts), so it is not listed twice. */
  constructor(readonly dir: string, listed?: Promise<Set<string>>) {
    this.listed = listed ?? null;
  }

  /**
   * Whether `<name>` (a `.part` in the folder) may exist, so must be `stat`ed; from now on it may
   * (the caller's attempt may leave it) until `landed`. Creates and lists the folder at the first
   * call; rejects with the raw error.
   */
  async mayExist(name: string): Promise<boolean> {
    this.listed ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      const names = new Set<string>();
      for await (const entry of await opendir(this.dir, { bufferSize: 256 })) if (entry.name.endsWith('.part')) names.add(entry.name);
      return names;
    })();
    const names = (this.known = await this.listed);
    const may = names.has(name);
    names.add(name);
    return may;
  }

  /** `<name>` is gone: its book landed (renamed or removed). */
  landed(name: string): void {
    this.known?.delete(name);
  }
}
