import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { BadCatalogRow, CatalogEntry } from '../../../shared/catalog-entry';
import { readCatalog, type ReadCatalogOptions } from '../../../electron/engine/catalog/read-catalog';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const fixture = (name: string): string => path.join(repoRoot, 'tests', 'fixtures', 'catalog', name);

/** Reads a whole catalog into memory (small inputs only) with its bad rows. */
export async function readAll(source: string | Readable, opts: Omit<ReadCatalogOptions, 'onBadRow'> = {}): Promise<{ entries: CatalogEntry[]; bad: BadCatalogRow[] }> {
  const entries: CatalogEntry[] = [];
  const bad: BadCatalogRow[] = [];
  for await (const e of readCatalog(source, { ...opts, onBadRow: (b) => bad.push(b) })) entries.push(e);
  return { entries, bad };
}

/** A Readable of `text` cut into pieces of `size` characters (exercises chunk boundaries). */
export function chunked(text: string, size: number): Readable {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return Readable.from(parts);
}

/** Same, but as UTF-8 bytes, so multi-byte characters are split across chunks. */
export function chunkedBytes(text: string, size: number): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}
