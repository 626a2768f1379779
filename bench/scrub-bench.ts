/**
 * Scrub throughput: the pure function on this thread (baseline), then thread and process pools
 * with 1 and 2 workers, all on the same bytes in the same run. Input: every .txt file of the
 * real corpus, looped to ~SCRUB_BENCH_MB (default 200) MB. Run: `npx tsx bench/scrub-bench.ts`.
 * MB = 10^6 bytes of raw input.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { scrubBook } from '../electron/engine/scrub/scrub-book';
import { createScrubPool, type ScrubPoolOptions } from '../electron/engine/scrub/scrub-pool';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const corpusDir = process.env.FANOUT_CORPUS ?? path.resolve(repoRoot, '..', 'shared', 'corpus', 'gutenberg');
const targetBytes = Number(process.env.SCRUB_BENCH_MB ?? 200) * 1e6;

const books = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => new Uint8Array(readFileSync(path.join(corpusDir, f))));
const corpusBytes = books.reduce((n, b) => n + b.byteLength, 0);
const loops = Math.max(1, Math.round(targetBytes / corpusBytes));
/** The work list: indexes into `books`, `loops` times over. */
const work: number[] = [];
for (let l = 0; l < loops; l++) books.forEach((_, i) => work.push(i));
const totalBytes = corpusBytes * loops;

interface Row {
  mode: string;
  workers: number;
  seconds: number;
  mbps: number;
  utilization?: number;
}

function baseline(): Row {
  let out = 0;
  const t0 = performance.now();
  for (const i of work) out += scrubBook(books[i]!).cleanBytes;
  const seconds = (performance.now() - t0) / 1000;
  if (out === 0) throw new Error('nothing scrubbed');
  return { mode: 'pure (this thread)', workers: 1, seconds, mbps: totalBytes / 1e6 / seconds };
}

async function pooled(executor: ScrubPoolOptions['executor'], size: number): Promise<Row> {
  const maxQueue = 2 * size;
  const pool = createScrubPool({ executor, size, maxQueue });
  try {
    // Warm-up outside the clock: worker start-up (and the TypeScript loader under tsx) is not throughput.
    await Promise.all(books.slice(0, size * 2).map((b) => pool.scrub(b.slice())));
    let next = 0;
    const t0 = performance.now();
    // `size + maxQueue` producers keep the pool full; each copy stands for a freshly read file
    // (the thread pool moves its input, so it cannot be reused).
    const lane = async () => {
      while (next < work.length) {
        const i = work[next++]!;
        await pool.scrub(books[i]!.slice());
      }
    };
    await Promise.all(Array.from({ length: size + maxQueue }, lane));
    const seconds = (performance.now() - t0) / 1000;
    return { mode: executor, workers: size, seconds, mbps: totalBytes / 1e6 / seconds, utilization: pool.stats().utilization };
  } finally {
    await pool.close();
  }
}

console.log(`corpus: ${books.length} files, ${(corpusBytes / 1e6).toFixed(1)} MB × ${loops} = ${(totalBytes / 1e6).toFixed(1)} MB`);
const rows: Row[] = [baseline()];
for (const executor of ['threads', 'processes'] as const) {
  for (const size of [1, 2]) rows.push(await pooled(executor, size));
}

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`\n${pad('mode', 20)}${pad('workers', 9)}${pad('seconds', 9)}${pad('MB/s', 9)}${pad('MB/s/worker', 13)}utilization`);
for (const r of rows) {
  console.log(
    pad(r.mode, 20) + pad(String(r.workers), 9) + pad(r.seconds.toFixed(2), 9) + pad(r.mbps.toFixed(1), 9) +
      pad((r.mbps / r.workers).toFixed(1), 13) + (r.utilization === undefined ? '-' : r.utilization.toFixed(2)),
  );
}
const find = (mode: string, w: number) => rows.find((r) => r.mode === mode && r.workers === w)!;
const base = rows[0]!;
console.log('');
for (const mode of ['threads', 'processes']) {
  const one = find(mode, 1);
  const two = find(mode, 2);
  console.log(
    `${pad(mode, 10)} 2 vs 1 workers: ${(two.mbps / one.mbps).toFixed(2)}×   1 worker vs pure: ${(one.mbps / base.mbps).toFixed(2)}×   2 workers vs pure: ${(two.mbps / base.mbps).toFixed(2)}×`,
  );
}
console.log(`\ntargets: ≥ 50 MB/s per worker, ≥ 1.8× from 1 to 2 workers (machine: ${(await import('node:os')).availableParallelism()} cores, shared)`);
