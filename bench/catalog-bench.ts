/**
 * Catalog benchmark: `npx tsx bench/catalog-bench.ts [runs]`.
 *
 * Generates a realistic 75,000-row (~19-20 MB) pg_catalog.csv in a temp dir, then times
 *  1. readCatalog over the whole file (entries built, nothing kept),
 *  2. readCatalog + selectBooks with author, language, subject and type filters (no limit, so the
 *     whole file is read and every filter is evaluated),
 *  3. csv-parse's streaming parser over the same file, records only (no entries), as the baseline
 *     that justified the hand-written splitter in electron/engine/catalog/csv-records.ts.
 * Prints median and best of `runs` (default 5) after one warm-up, as rows/s and MB/s.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import type { CatalogSelection } from '../shared/job-spec';
import { readCatalog } from '../electron/engine/catalog/read-catalog';
import { selectBooks } from '../electron/engine/catalog/select-books';
import { generateCatalogChunks } from '../tests/fixtures/catalog/generate-catalog';

const ROWS = 75_000;
const runs = Math.max(1, Number(process.argv[2] ?? 5));

async function writeCatalog(file: string): Promise<void> {
  const out = createWriteStream(file);
  for (const chunk of generateCatalogChunks(ROWS)) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

async function time(label: string, bytes: number, fn: () => Promise<number>): Promise<void> {
  await fn(); // warm-up: JIT and file cache
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    rows = await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)]!;
  const best = ms[0]!;
  const rate = (t: number) => `${Math.round(ROWS / (t / 1000)).toLocaleString('en')} rows/s, ${(bytes / 1e6 / (t / 1000)).toFixed(0)} MB/s`;
  console.log(`${label.padEnd(34)} median ${median.toFixed(0).padStart(5)} ms (${rate(median)})   best ${best.toFixed(0).padStart(5)} ms   -> ${rows} rows`);
}

const dir = await mkdtemp(path.join(tmpdir(), 'fanout-catalog-bench-'));
try {
  const file = path.join(dir, 'pg_catalog.csv');
  await writeCatalog(file);
  const { size } = await stat(file);
  console.log(`catalog: ${ROWS.toLocaleString('en')} rows, ${(size / 1e6).toFixed(1)} MB, ${runs} runs after a warm-up (Node ${process.versions.node})`);

  await time('readCatalog (parse + entries)', size, async () => {
    let n = 0;
    for await (const _e of readCatalog(file)) n++;
    return n;
  });

  const selection: CatalogSelection = { type: 'text', language: 'en', author: 'charles dickens', subject: 'fiction' };
  await time('readCatalog + selectBooks', size, async () => {
    let n = 0;
    for await (const _e of selectBooks(readCatalog(file), selection)) n++;
    return n;
  });

  await time('csv-parse stream (records only)', size, async () => {
    let n = 0;
    const parser = createReadStream(file).pipe(parse({ info: true, relax_column_count: true }));
    for await (const _r of parser) n++;
    return n - 1; // header
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}
