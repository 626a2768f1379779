import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { writeFileAtomic } from '../output/atomic-file';
import type { ManifestEntry } from './manifest-entry';

export const MANIFEST_FILE = 'manifest.jsonl';

/**
 * `<out>/manifest.jsonl`, one JSON line per book. Lines are appended as books finish, so a crash
 * loses nothing already done (a torn last line does not parse and is ignored); at the end the
 * file is rewritten atomically with one line per book, the newest winning.
 */
export class ManifestStore {
  readonly path: string;
  readonly #entries = new Map<number, ManifestEntry>();
  #out: WriteStream | null = null;

  private constructor(outDir: string) {
    this.path = join(outDir, MANIFEST_FILE);
  }

  static async open(outDir: string): Promise<ManifestStore> {
    const store = new ManifestStore(outDir);
    await store.#load();
    store.#out = createWriteStream(store.path, { flags: 'a' });
    return store;
  }

  get(ebook: number): ManifestEntry | undefined {
    return this.#entries.get(ebook);
  }

  get size(): number {
    return this.#entries.size;
  }

  async append(entry: ManifestEntry): Promise<void> {
    this.#entries.set(entry.ebook, entry);
    const out = this.#out;
    if (!out) throw new Error('manifest is closed');
    if (!out.write(JSON.stringify(entry) + '\n')) await once(out, 'drain');
  }

  /** Flushes, then rewrites the file with one line per book (ordered by ebook number). */
  async close(): Promise<void> {
    const out = this.#out;
    this.#out = null;
    if (out) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const lines = [...this.#entries.values()].sort((a, b) => a.ebook - b.ebook).map((e) => JSON.stringify(e) + '\n');
    await writeFileAtomic(this.path, lines.join(''));
  }

  async #load(): Promise<void> {
    let input;
    try {
      input = createReadStream(this.path, { encoding: 'utf8' });
      await once(input, 'open');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as ManifestEntry;
        if (typeof entry.ebook === 'number') this.#entries.set(entry.ebook, entry);
      } catch {
        // A torn line from an interrupted run: that book simply is not recorded as done.
      }
    }
  }
}
