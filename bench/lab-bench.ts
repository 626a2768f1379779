/**
 * The lab's two classic shapes, with their numbers (issue 11): download speedup against connections
 * at 50 ms RTT (HTTP through the harness's latency proxy: it climbs past the core count, the wait is
 * the network's), and scrubbing speedup against workers in threads and child processes on the real
 * corpus (it stops near the core count, the work is the CPU's), and the queue bound between download
 * and clean (1 … 64, unbounded: how long downloaders waited), and a per-item timeout against a few
 * stragglers (the proxy trickles their first transfer: tail latency and total time with and
 * without a timeout). Each printed as `fanout lab` prints it.
 * Run: `npm run bench:lab`. Sizes: LAB_BENCH_BOOKS (default 64), LAB_BENCH_WORKERS (default 1,2,4,8,16),
 * LAB_BENCH_SCRUB_BOOKS (default 400, corpus .txt files), LAB_BENCH_RTT_MS (default 50),
 * LAB_BENCH_STRAGGLERS (default 3 books, trickled at LAB_BENCH_STRAGGLER_BPS, default 25000 bytes/s),
 * LAB_BENCH_TIMEOUTS (default off,1s,2s,4s), LAB_BENCH_ONLY (download, scrub or stragglers: that shape alone).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyseLab } from '../shared/lab/lab-analysis';
import { GutenbergJobSpecSchema, type GutenbergJobSpec } from '../shared/job-spec';
import { runGutenbergJob } from '../electron/engine/gutenberg/run-gutenberg-job';
import { formatLabReport, formatQueueReport } from '../electron/engine/lab/lab-report';
import { runQueueLab } from '../electron/engine/lab/queue-lab';
import { analyseQueueLab } from '../shared/lab/queue-analysis';
import { analyseStragglerLab } from '../shared/lab/straggler-analysis';
import { runStragglerLab } from '../electron/engine/lab/straggler-lab';
import { formatStragglerReport } from '../electron/engine/lab/straggler-report';
import { timeoutList } from '../electron/cli/lab-stragglers-options';
import { measureCells } from '../electron/engine/lab/measure-cells';
import { readSampleBooks, runScrubLab, scrubLabLabel } from '../electron/engine/lab/scrub-lab';
import { generateMirror, makeBookSpecs, slowBooks, startHttpServer, startTcpProxy } from '../tests/harness';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const corpusDir = process.env.FANOUT_CORPUS ?? path.resolve(repoRoot, '..', 'shared', 'corpus', 'gutenberg');
const books = Number(process.env.LAB_BENCH_BOOKS ?? 64);
const workers = (process.env.LAB_BENCH_WORKERS ?? '1,2,4,8,16').split(',').map(Number);
const rtt = Number(process.env.LAB_BENCH_RTT_MS ?? 50);
const cores = availableParallelism();
const signal = new AbortController().signal;

/** The 200 KB-median mirror of `books` books and its catalog, under `dir`. */
async function benchMirror(dir: string) {
  const specs = makeBookSpecs({ count: books, medianBytes: 200_000 }).map((s) => ({ ...s, files: ['-0.txt' as const] }));
  const mirror = await generateMirror(path.join(dir, 'mirror'), specs);
  const catalog = path.join(dir, 'catalog.csv');
  await writeFile(catalog, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...specs.map((b) => `${b.ebook},Text,2000-01-01,"Book ${b.ebook}",en,"Author, A",,,`), ''].join('\n'));
  return { specs, mirror, catalog };
}

async function downloadShape(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fanout-lab-bench-'));
  try {
    const { mirror, catalog } = await benchMirror(dir);
    const http = await startHttpServer({ root: mirror.root });
    const proxy = await startTcpProxy({ targetPort: http.port, delayMs: rtt / 2 });
    try {
      const base: GutenbergJobSpec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: `http://127.0.0.1:${proxy.port}/`, workers: 1, strategy: 'queue', outDir: dir });
      const cells = workers.map((n) => ({ strategy: 'queue' as const, workers: n, scrubExecutor: 'threads' as const }));
      const points = await measureCells({ cells, repeats: 1, base: path.join(dir, 'cells'), signal, specFor: (c, outDir) => ({ ...base, workers: c.workers, outDir }), run: runGutenbergJob, onPoint: (p, d, t) => console.error(`  download ${d}/${t}: ${p.workers} connections ${(p.medianMs / 1000).toFixed(2)} s`) });
      console.log(`\n## Download (HTTP, ${books} books, ${rtt} ms RTT, ${cores} cores)\n`);
      console.log(formatLabReport(analyseLab(points, { cores })));
      // The queue between download and clean: a bound of 1 should keep downloaders waiting far longer than 16.
      const queueWorkers = Math.max(...workers);
      const queue = await runQueueLab({ spec: { ...base, workers: queueWorkers }, bounds: [1, 4, 16, 64, null], repeats: 1, signal, onPoint: (p, d, t) => console.error(`  queue ${d}/${t}: bound ${p.bound ?? 'unbounded'} ${(p.medianMs / 1000).toFixed(2)} s`) });
      console.log(`\n## Queue between download and clean (${books} books, ${queueWorkers} download workers, ${rtt} ms RTT)\n`);
      console.log(formatQueueReport(analyseQueueLab(queue)));
    } finally {
      await Promise.allSettled([proxy.stop(), http.stop()]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function scrubShape(): Promise<void> {
  const sample = await readSampleBooks(corpusDir, Number(process.env.LAB_BENCH_SCRUB_BOOKS ?? 400));
  const points = await runScrubLab({ books: sample, executors: ['threads', 'processes'], workerCounts: workers, repeats: 1, signal, onPoint: (p, d, t) => console.error(`  scrub ${d}/${t}: ${p.scrubExecutor} ×${p.workers} ${(p.medianMs / 1000).toFixed(2)} s`) });
  console.log(`\n## Scrub (${sample.length} corpus books, ${(sample.reduce((n, b) => n + b.length, 0) / 1e6).toFixed(0)} MB, ${cores} cores)\n`);
  console.log(formatLabReport(analyseLab(points, { cores, label: scrubLabLabel })));
}

/** A few books trickled on their first transfer: tail latency and total time with and without a per-item timeout. */
async function stragglersShape(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fanout-lab-bench-'));
  try {
    const { specs, mirror, catalog } = await benchMirror(dir);
    const count = Math.min(specs.length, Number(process.env.LAB_BENCH_STRAGGLERS ?? 3));
    // Spread over the sample: one early, the others later (a straggler at the very end only lengthens the tail).
    const slow = Array.from({ length: count }, (_, i) => specs[Math.floor(((i + 0.5) * specs.length) / count)]!.ebook);
    const rate = Number(process.env.LAB_BENCH_STRAGGLER_BPS ?? 25_000);
    const http = await startHttpServer({ root: mirror.root });
    const proxy = await startTcpProxy({ targetPort: http.port, delayMs: rtt / 2, slow: slowBooks(slow, { bytesPerSecond: rate }) });
    try {
      const timeouts = timeoutList(process.env.LAB_BENCH_TIMEOUTS ?? 'off,1s,2s,4s');
      const n = Math.min(8, Math.max(...workers));
      const spec: GutenbergJobSpec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: `http://${proxy.hostPort}/`, workers: n, strategy: 'queue', outDir: dir });
      const points = await runStragglerLab({ spec, timeouts, repeats: 1, signal, onPoint: (p, d, t) => console.error(`  stragglers ${d}/${t}: timeout ${p.timeoutMs ?? 'off'} ${(p.medianMs / 1000).toFixed(2)} s`) });
      const sizes = slow.map((e) => `${e} (${Math.round(mirror.books.get(e)!.files[0]!.bytes / 1000)} KB)`).join(', ');
      console.log(`\n## Stragglers (HTTP, ${books} books, ${n} workers, ${rtt} ms RTT; first transfer of ${sizes} trickled at ${Math.round(rate / 1000)} KB/s)\n`);
      console.log(formatStragglerReport(analyseStragglerLab(points)));
    } finally {
      await Promise.allSettled([proxy.stop(), http.stop()]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const only = process.env.LAB_BENCH_ONLY;
if (!only || only === 'download') await downloadShape();
if (!only || only === 'scrub') await scrubShape();
if (!only || only === 'stragglers') await stragglersShape();
