/**
 * Scrub throughput: the pure function on this thread (baseline: the reference path, then the fast
 * path as a caller that keeps its bytes and as a worker that consumes them), then thread and
 * process pools with 1 and 2 workers, all on the same bytes in the same run. Input: every .txt
 * file of the real corpus, looped to ~SCRUB_BENCH_MB (default 500) MB: at 200 MB two thread workers
 * finish in ~0.3 s, too short for a stable 2-vs-1 ratio.
 * Run: `npx tsx bench/scrub-bench.ts`. MB = 10^6 bytes of raw input.
 *
 * The pools get their inputs ready-made (copied before the clock: the thread pool moves its input,
 * so each book needs its own copy), as a job gets them from files read on the libuv threadpool.
 * The "+ copy" rows make the copies inside the clock, on the main thread, to show what a producer
 * that shares the cores costs the pool.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { scrubBook, scrubBookReference } from '../electron/engine/scrub/scrub-book';
import { createScrubPool, type ScrubPool, type ScrubPoolOptions } from '../electron/engine/scrub/scrub-pool';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const corpusDir = process.env.FANOUT_CORPUS ?? path.resolve(repoRoot, '..', 'shared', 'corpus', 'gutenberg');
const targetBytes = Number(process.env.SCRUB_BENCH_MB ?? 500) * 1e6;

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

function pure(mode: string, scrub: (b: Uint8Array) => number, copies = false): Row {
  const inputs = copies ? work.map((i) => books[i]!.slice()) : null;
  let out = 0;
  const t0 = performance.now();
  for (let k = 0; k < work.length; k++) out += scrub(inputs ? inputs[k]! : books[work[k]!]!);
  const seconds = (performance.now() - t0) / 1000;
  if (out === 0) throw new Error('nothing scrubbed');
  return { mode, workers: 1, seconds, mbps: totalBytes / 1e6 / seconds };
}

/** Time spent scrubbing so far, ms, from the pool's own counters. */
const runMsSoFar = (s: ReturnType<ScrubPool['stats']>) => s.utilization * s.elapsedMs * s.size;

async function pooled(executor: ScrubPoolOptions['executor'], size: number, copyInClock = false): Promise<Row> {
  const maxQueue = 2 * size;
  const pool = createScrubPool({ executor, size, maxQueue });
  try {
    // Warm-up outside the clock: worker start-up (and the TypeScript loader under tsx) is not throughput.
    await Promise.all(books.map((b) => pool.scrub(b.slice())));
    const inputs = copyInClock ? null : work.map((i) => books[i]!.slice());
    let next = 0;
    const before = pool.stats();
    const t0 = performance.now();
    // `size + maxQueue` producers keep the pool full.
    const lane = async () => {
      while (next < work.length) {
        const k = next++;
        await pool.scrub(inputs ? inputs[k]! : books[work[k]!]!.slice());
      }
    };
    await Promise.all(Array.from({ length: size + maxQueue }, lane));
    const seconds = (performance.now() - t0) / 1000;
    // Share of the workers' time spent inside scrubBook during the timed run (not since start-up).
    const utilization = (runMsSoFar(pool.stats()) - runMsSoFar(before)) / (seconds * 1000 * size);
    return { mode: executor + (copyInClock ? ' + copy' : ''), workers: size, seconds, mbps: totalBytes / 1e6 / seconds, utilization };
  } finally {
    await pool.close();
  }
}

console.log(`corpus: ${books.length} files, ${(corpusBytes / 1e6).toFixed(1)} MB × ${loops} = ${(totalBytes / 1e6).toFixed(1)} MB`);
const rows: Row[] = [
  pure('reference', (b) => scrubBookReference(b).cleanBytes),
  pure('pure (this thread)', (b) => scrubBook(b).cleanBytes),
  pure('pure, consumeInput', (b) => scrubBook(b, { consumeInput: true }).cleanBytes, true),
];
for (const executor of ['threads', 'processes'] as const) {
  for (const size of [1, 2]) rows.push(await pooled(executor, size));
}
for (const size of [1, 2]) rows.push(await pooled('threads', size, true));

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`\n${pad('mode', 20)}${pad('workers', 9)}${pad('seconds', 9)}${pad('MB/s', 9)}${pad('MB/s/worker', 13)}utilization`);
for (const r of rows) {
  console.log(
    pad(r.mode, 20) + pad(String(r.workers), 9) + pad(r.seconds.toFixed(2), 9) + pad(r.mbps.toFixed(1), 9) +
      pad((r.mbps / r.workers).toFixed(1), 13) + (r.utilization === undefined ? '-' : r.utilization.toFixed(2)),
  );
}
const find = (mode: string, w: number) => rows.find((r) => r.mode === mode && r.workers === w)!;
const base = find('pure (this thread)', 1);
console.log('');
for (const mode of ['threads', 'processes', 'threads + copy']) {
  const one = find(mode, 1);
  const two = find(mode, 2);
  console.log(
    `${pad(mode, 15)} 2 vs 1 workers: ${(two.mbps / one.mbps).toFixed(2)}×   1 worker vs pure: ${(one.mbps / base.mbps).toFixed(2)}×   2 workers vs pure: ${(two.mbps / base.mbps).toFixed(2)}×`,
  );
}
console.log(`\ntargets: ≥ 50 MB/s per worker, ≥ 1.8× from 1 to 2 workers (machine: ${(await import('node:os')).availableParallelism()} cores, shared)`);
