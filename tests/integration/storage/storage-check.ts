import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { isBookComplete } from '../../../electron/engine/gutenberg/book-completion';
import { readManifest } from '../../../electron/engine/gutenberg/manifest-store';
import { isTempName } from '../../../electron/engine/output/atomic-file';
import { sha256, type GeneratedMirror, type MirrorBookSpec } from '../../harness';
import { readFile } from 'node:fs/promises';

/** Every book the manifest calls done is whole on disk (sizes and sha256 match), and no storage fault was recorded as a book failure. */
export async function expectNothingFalselyDone(outDir: string): Promise<number> {
  const entries = await readManifest(outDir);
  let ok = 0;
  for (const entry of entries.values()) {
    if (entry.status === 'ok') {
      expect(await isBookComplete(outDir, entry), `ebook ${entry.ebook} recorded ok but not whole on disk`).toBe(true);
      ok++;
    } else {
      expect(['DISK_FULL', 'OUTPUT_NOT_WRITABLE', 'WRITE_FAILED', 'ABORTED'], `ebook ${entry.ebook}`).not.toContain(entry.errorCode);
    }
  }
  return ok;
}

/** Every present book is done, byte-exact against the mirror, and no temp or partial file is left. */
export async function expectAllBooksExact(outDir: string, mirror: GeneratedMirror, books: MirrorBookSpec[]): Promise<void> {
  const entries = await readManifest(outDir);
  for (const book of books.filter((b) => b.files.length > 0)) {
    const entry = entries.get(book.ebook);
    expect(entry?.status, `ebook ${book.ebook}`).toBe('ok');
    const raw = await readFile(join(outDir, entry!.rawFile!));
    expect(sha256(raw), `ebook ${book.ebook} raw bytes`).toBe(mirror.books.get(book.ebook)!.files[0]!.textSha256);
    expect(await isBookComplete(outDir, entry), `ebook ${book.ebook}`).toBe(true);
  }
  for (const sub of ['', 'raw', 'clean']) {
    const names = await readdir(join(outDir, sub));
    expect(names.filter((n) => isTempName(n) || n.endsWith('.part') || n.endsWith('.meta') || n === '.fanout.lock'), `leftovers in ${sub || '.'}`).toEqual([]);
  }
}
