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

  constructor(readonly dir: string) {}

  /** Creates the folder and lists its `.part` names, once; rejects with the raw error. */
  names(): Promise<Set<string>> {
    this.listed ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      const names = new Set<string>();
      for await (const entry of await opendir(this.dir, { bufferSize: 256 })) if (entry.name.endsWith('.part')) names.add(entry.name);
      return names;
    })();
    return this.listed;
  }
}
