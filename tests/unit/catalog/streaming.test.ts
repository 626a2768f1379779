import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCatalog } from '../../../electron/engine/catalog/read-catalog';
import { selectBooks } from '../../../electron/engine/catalog/select-books';
import { generateCatalogChunks } from '../../fixtures/catalog/generate-catalog';

const ROWS = 75_000;

describe('readCatalog on a generated full-size catalog', () => {
  it('streams all 75,000 rows without holding the file', async () => {
    let produced = 0;
    let producedAtFirstEntry = -1;
    let totalChars = 0;
    const source = Readable.from(
      (function* () {
        for (const chunk of generateCatalogChunks(ROWS)) {
          produced++;
          totalChars += chunk.length;
          yield Buffer.from(chunk, 'utf8');
        }
      })(),
    );
    let count = 0;
    let last = 0;
    let bad = 0;
    for await (const e of readCatalog(source, { onBadRow: () => bad++ })) {
      if (count === 0) producedAtFirstEntry = produced;
      count++;
      expect(e.ebook).toBe(last + 1); // every row, in order
      last = e.ebook;
    }
    expect(bad).toBe(0);
    expect(count).toBe(ROWS);
    expect(totalChars).toBeGreaterThan(15_000_000);
    // The first book came out while only a few 64 KiB chunks of ~300 had been generated:
    // the reader does not wait for (or buffer) the whole file.
    expect(producedAtFirstEntry).toBeLessThan(20);
    expect(produced).toBeGreaterThan(200);
  });

  it('selects from the generated catalog and stops early at limit', async () => {
    let produced = 0;
    const source = Readable.from(
      (function* () {
        for (const chunk of generateCatalogChunks(ROWS)) {
          produced++;
          yield chunk;
        }
      })(),
    );
    const got: number[] = [];
    for await (const e of selectBooks(readCatalog(source), { language: 'fr', author: 'merimee', limit: 5 })) got.push(e.ebook);
    expect(got).toHaveLength(5);
    expect(produced).toBeLessThan(100); // stopped reading long before the end
    expect(source.destroyed).toBe(true);
  });
});
