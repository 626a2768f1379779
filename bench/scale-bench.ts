/**
 * `npm run bench:scale` (tsx bench/scale-bench.ts): one Gutenberg job over the whole corpus.
 * A generated mirror of small books in the real layout (`N/N-0.txt` under Gutenberg's folders,
 * ~3 KB each) and a real-format catalog of the same size, served by nginx on loopback; Fanout
 * `adaptive`, N = 8, through the job manager as the app and the web host run it (frames, recording,
 * history). For each size: a full run (peak RSS, books/s), a re-run over the complete output, and a
 * run SIGKILLed at 50 % followed by the re-run that finishes it (it must fetch only the missing half).
 * Not a test; the machine's load makes the times noisy, the memory figures are not.
 *
 * Fanout runs in a child process of its own, from JavaScript bundled here with esbuild (this file
 * with `--child`, and the scrub worker beside it) under plain `node`: no tsx loader, no nginx, no
 * generator in its heap. The child reports its peak RSS (getrusage maxrss) and the peaks of
 * `process.memoryUsage()` sampled every 20 ms.
 *
 * Env: BENCH_SIZES (7500,75000; e.g. BENCH_SIZES=500,5000 for a quick run), BENCH_WORKERS (8),
 * BENCH_STRATEGY (adaptive), BENCH_BOOK_BYTES (3000), BENCH_KILL (1; 0 = skip the kill at 50 %),
 * BENCH_DIR (where the mirror, catalogs and outputs go; default node_modules/.cache/fanout-bench/
 * scale — the mirror is kept there between runs, it takes a while to write),
 * BENCH_SCRUB_EXECUTOR (threads; processes puts the scrubbers' memory outside the measured process),
 * BENCH_HEAP_SNAPSHOT (a directory: the child writes a heap snapshot there at 90 % of the full run, or at
 * BENCH_HEAP_SNAPSHOT_AT (a fraction of the books); writing it inflates that run's peak RSS), BENCH_MEM_LOG (seconds: the
 * full run's child prints its memory and V8's heap spaces, used/size, on stderr that often), BENCH_NODE_FLAGS (flags for the child's node; by default it starts as `fanout` and
 * the web host do, with the heap flags and malloc settings of bin/node-flags.js; when set, it replaces both: empty =
 * node's and glibc's defaults; e.g. --max-old-space-size=60 to see how much of the peak is collectable garbage).
 */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { benchChildLaunch } from '../bin/node-flags.js';
import type { JobSummary } from '../shared/events';
import { GutenbergJobSpecSchema, type GutenbergJobInput } from '../shared/job-spec';
import { runGutenbergJob } from '../electron/engine/gutenberg/run-gutenberg-job';
import { JobManager } from '../electron/engine/jobs/job-manager';
import { generateCatalogChunks } from '../tests/fixtures/catalog/generate-catalog';
import { bookText, gutenbergDir } from '../tests/harness/mirror-gen';
import { startNginxServer } from '../tests/harness/nginx-server';

const run = promisify(execFile);
const env = (k: string, d: string) => process.env[k] ?? d;
const SIZES = env('BENCH_SIZES', '7500,75000').split(',').map(Number);
const WORKERS = Number(env('BENCH_WORKERS', '8'));
const STRATEGY = env('BENCH_STRATEGY', 'adaptive');
const BOOK_BYTES = Number(env('BENCH_BOOK_BYTES', '3000'));
const WITH_KILL = env('BENCH_KILL', '1') !== '0';
const DIR = resolve(env('BENCH_DIR', 'node_modules/.cache/fanout-bench/scale'));
const HEAP_SNAPSHOT = process.env.BENCH_HEAP_SNAPSHOT ? resolve(process.env.BENCH_HEAP_SNAPSHOT) : null;
/** Fraction of the books done when the child writes its heap snapshot (1 = the end of the downloads). */
const HEAP_SNAPSHOT_AT = Number(env('BENCH_HEAP_SNAPSHOT_AT', '0.9'));
/** Seconds between the child's memory lines on stderr (0: none). */
const MEM_LOG_S = Number(env('BENCH_MEM_LOG', '0'));
const SCRUB_EXECUTOR = env('BENCH_SCRUB_EXECUTOR', 'threads') as 'threads' | 'processes';
const CHILD = benchChildLaunch('gutenberg');
const NODE_FLAGS = CHILD.flags;
const MB = 1024 * 1024;

interface ChildRequest {
  spec: GutenbergJobInput;
  dataDir: string;
  /** SIGKILL itself once this many books are done (a crash, no clean-up). */
  killAt?: number;
  heapSnapshot?: string;
  heapSnapshotAt?: number;
  memLogS?: number;
}

interface ChildReport {
  summary: Pick<JobSummary, 'status' | 'itemsTotal' | 'itemsDone' | 'itemsFailed' | 'itemsSkipped' | 'bytes' | 'wallMs' | 'failures'>;
  maxRssMb: number;
  peakHeapUsedMb: number;
  peakArrayBuffersMb: number;
  /** Books done (or skipped) when the sampled RSS peaked. */
  rssPeakAtBooks: number;
  cpuS: number;
}

/** Child side: one job through the job manager; prints a ChildReport line. */
async function child(arg: string): Promise<void> {
  const req = JSON.parse(arg) as ChildRequest;
  let heap = 0;
  let arrayBuffers = 0;
  let rss = 0;
  /** Books done when the sampled RSS peaked (start-up, steady state or the end). */
  let booksNow = 0;
  let rssPeakAt = 0;
  const sample = () => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed);
    arrayBuffers = Math.max(arrayBuffers, m.arrayBuffers);
    if (m.rss > rss) {
      rss = m.rss;
      rssPeakAt = booksNow;
    }
  };
  const timer = setInterval(sample, 20);
  // Where the memory goes over the run: one line per interval, for comparing sizes (BENCH_MEM_LOG).
  const memLog = req.memLogS
    ? setInterval(() => {
        const m = process.memoryUsage();
        const mb = (n: number) => (n / MB).toFixed(1);
        const spaces = getHeapSpaceStatistics()
          .filter((sp) => sp.space_size > MB)
          .map((sp) => `${sp.space_name.replace('_space', '')} ${mb(sp.space_used_size)}/${mb(sp.space_size)}`)
          .join(' ');
        // Outside the heap: anonymous memory (other isolates, malloc) against file pages (node's own code).
        const status = readFileSync('/proc/self/status', 'utf8');
        const kb = (key: string) => (Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024).toFixed(1);
        process.stderr.write(`mem: books ${booksNow} rss ${mb(m.rss)} (anon ${kb('RssAnon')} file ${kb('RssFile')}) heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} | ${spaces}\n`);
      }, req.memLogS * 1000)
    : null;
  const manager = new JobManager({ dataDir: req.dataDir, runners: { gutenberg: runGutenbergJob } });
  manager.on((e) => {
    if (e.kind === 'job:frame') booksNow = e.frame.itemsDone + e.frame.itemsSkipped;
  });
  if (req.killAt !== undefined) {
    const at = req.killAt;
    manager.on((e) => {
      if (e.kind === 'job:frame' && e.frame.itemsDone >= at) process.kill(process.pid, 'SIGKILL');
    });
  }
  if (req.heapSnapshot) {
    // Mid-job (90 % by default): what the job holds while it runs (at the end it has let go of it all).
    const path = req.heapSnapshot;
    const at = req.heapSnapshotAt ?? 0.9;
    let taken = false;
    manager.on((e) => {
      if (taken || e.kind !== 'job:frame' || e.frame.itemsTotal === null || e.frame.itemsDone < e.frame.itemsTotal * at) return;
      taken = true;
      writeHeapSnapshot(path);
    });
  }
  const { done } = manager.start(GutenbergJobSpecSchema.parse(req.spec));
  const summary = await done;
  clearInterval(timer);
  if (memLog) clearInterval(memLog);
  sample();
  const ru = process.resourceUsage();
  const report: ChildReport = {
    summary: {
      status: summary.status, itemsTotal: summary.itemsTotal, itemsDone: summary.itemsDone, itemsFailed: summary.itemsFailed,
      itemsSkipped: summary.itemsSkipped, bytes: summary.bytes, wallMs: summary.wallMs, failures: summary.failures.slice(0, 3),
    },
    maxRssMb: ru.maxRSS / 1024,
    peakHeapUsedMb: heap / MB,
    peakArrayBuffersMb: arrayBuffers / MB,
    rssPeakAtBooks: rssPeakAt,
    cpuS: (ru.userCPUTime + ru.systemCPUTime) / 1e6,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}

/** Bundles this file and the scrub entry points side by side (the pool finds its worker next to its own module). */
async function buildChild(): Promise<string> {
  const outDir = resolve('node_modules/.cache/fanout-bench/scale-child');
  await mkdir(outDir, { recursive: true });
  const esbuild = resolve('node_modules/.bin/esbuild');
  const common = ['--bundle', '--platform=node', '--format=esm', '--target=node20', '--packages=external', '--log-level=warning', '--out-extension:.js=.mjs'];
  await run(esbuild, [`scale-bench=${fileURLToPath(import.meta.url)}`, `scrub-worker=${resolve('electron/engine/scrub/scrub-worker.ts')}`, `scrub-child=${resolve('electron/engine/scrub/scrub-child.ts')}`, ...common, `--outdir=${outDir}`]);
  return join(outDir, 'scale-bench.mjs');
}

async function runChild(bundle: string, req: ChildRequest): Promise<{ report: ChildReport | null; processS: number; killed: boolean }> {
  const t = performance.now();
  const proc = spawn(process.execPath, [...NODE_FLAGS, bundle, '--child', JSON.stringify(req)], { stdio: ['ignore', 'pipe', 'inherit'], env: CHILD.env });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const [code, signal] = (await once(proc, 'exit')) as [number | null, NodeJS.Signals | null];
  const processS = (performance.now() - t) / 1000;
  if (signal === 'SIGKILL' && req.killAt !== undefined) return { report: null, processS, killed: true };
  if (code !== 0) throw new Error(`fanout child exited with ${code ?? signal}`);
  return { report: JSON.parse(out.trim().split('\n').pop()!) as ChildReport, processS, killed: false };
}

/** Books 1..count in Gutenberg's layout, one small `N-0.txt` each; kept between runs (a marker says how many). */
async function ensureMirror(root: string, count: number): Promise<void> {
  const marker = join(root, '.generated');
  const have = Number(await readFile(marker, 'utf8').catch(() => '0'));
  if (have >= count) return;
  const t = performance.now();
  let next = have + 1;
  const writer = async () => {
    while (next <= count) {
      const ebook = next++;
      const dir = join(root, ...gutenbergDir(ebook).split('/'));
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${ebook}-0.txt`), bookText({ ebook, sizeBytes: BOOK_BYTES }));
    }
  };
  await Promise.all(Array.from({ length: 32 }, writer));
  await writeFile(marker, String(count));
  console.log(`mirror: books ${have + 1}..${count} written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

async function manifestLines(out: string): Promise<number> {
  return (await readFile(join(out, 'manifest.jsonl'), 'utf8')).split('\n').filter(Boolean).length;
}

function reconcile(what: string, lines: number, books: number, recorded: number): void {
  const ok = lines === books && recorded === books;
  console.log(`${ok ? 'reconciled' : '!! NOT reconciled'}: ${what}: ${lines} manifest lines, ${recorded} books recorded by the runs, ${books} selected`);
}

async function writeCatalog(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  for (const chunk of generateCatalogChunks(rows)) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

interface SizeResult {
  books: number;
  full: ChildReport;
  rerun: ChildReport;
  killedAt?: number;
  afterKill?: ChildReport;
}

const rate = (r: ChildReport) => r.summary.itemsDone / (r.summary.wallMs / 1000);
const fmt = (r: ChildReport) =>
  `${r.summary.status}, done ${r.summary.itemsDone}, skipped ${r.summary.itemsSkipped}, failed ${r.summary.itemsFailed}, ` +
  `${(r.summary.wallMs / 1000).toFixed(1)} s, peak RSS ${r.maxRssMb.toFixed(0)} MB at ${r.rssPeakAtBooks} books (heap ${r.peakHeapUsedMb.toFixed(0)}, buffers ${r.peakArrayBuffersMb.toFixed(0)}), CPU ${r.cpuS.toFixed(1)} s`;

async function main(): Promise<void> {
  const max = Math.max(...SIZES);
  await mkdir(DIR, { recursive: true });
  const mirrorRoot = join(DIR, 'mirror');
  await ensureMirror(mirrorRoot, max);
  const bundle = await buildChild();
  const nginx = await startNginxServer({ root: mirrorRoot });
  const results: SizeResult[] = [];
  try {
    for (const books of SIZES) {
      const catalog = join(DIR, `catalog-${books}.csv`);
      await writeCatalog(catalog, books);
      const out = join(DIR, `out-${books}`);
      const dataDir = join(DIR, `data-${books}`);
      await rm(out, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
      const spec: GutenbergJobInput = { kind: 'gutenberg', catalog, mirror: nginx.url, workers: WORKERS, strategy: STRATEGY as GutenbergJobInput['strategy'], outDir: out, scrubExecutor: SCRUB_EXECUTOR };
      const heapSnapshot = HEAP_SNAPSHOT ? join(HEAP_SNAPSHOT, `scale-${books}.heapsnapshot`) : undefined;
      if (HEAP_SNAPSHOT) await mkdir(HEAP_SNAPSHOT, { recursive: true });
      const full = (await runChild(bundle, { spec, dataDir, heapSnapshot, heapSnapshotAt: HEAP_SNAPSHOT_AT, memLogS: MEM_LOG_S })).report!;
      console.log(`${books} books, full:     ${fmt(full)}, ${rate(full).toFixed(0)} books/s`);
      const rerun = (await runChild(bundle, { spec, dataDir })).report!;
      console.log(`${books} books, re-run:   ${fmt(rerun)}`);
      // The numbers reconcile: one manifest line per book, none added by the re-run (append-only, nothing rewritten).
      reconcile(`${books} full + re-run`, await manifestLines(out), books, full.summary.itemsDone + rerun.summary.itemsDone);
      const result: SizeResult = { books, full, rerun };
      if (WITH_KILL) {
        await rm(out, { recursive: true, force: true });
        const killAt = Math.floor(books / 2);
        await runChild(bundle, { spec, dataDir, killAt });
        const lines = await manifestLines(out);
        const afterKill = (await runChild(bundle, { spec, dataDir })).report!;
        reconcile(`${books} killed + re-run`, await manifestLines(out), books, lines + afterKill.summary.itemsDone);
        if (afterKill.summary.itemsSkipped !== lines) console.log(`!! the re-run skipped ${afterKill.summary.itemsSkipped}, the killed run recorded ${lines}`);
        console.log(`${books} books, killed at ${killAt} done (${lines} manifest lines); re-run: ${fmt(afterKill)}`);
        Object.assign(result, { killedAt: lines, afterKill });
      }
      results.push(result);
      await rm(out, { recursive: true, force: true });
    }
  } finally {
    await nginx.stop();
  }
  printTable(results);
}

function printTable(results: SizeResult[]): void {
  console.log(`\nHTTP (nginx, loopback), ${STRATEGY}, N = ${WORKERS}, books of ~${BOOK_BYTES} bytes, node ${NODE_FLAGS.join(' ') || '(V8 defaults)'}${process.env.BENCH_NODE_FLAGS === undefined ? ' + malloc settings' : ''}:\n`);
  console.log('| books | full (s) | books/s | peak RSS (MB) | peak heap (MB) | re-run complete (s) | kill at 50 %: lines | re-run after kill (s) | fetched by it |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const s = (x: ChildReport | undefined) => (x ? (x.summary.wallMs / 1000).toFixed(1) : '—');
    console.log(
      `| ${r.books} | ${s(r.full)} | ${rate(r.full).toFixed(0)} | ${r.full.maxRssMb.toFixed(0)} | ${r.full.peakHeapUsedMb.toFixed(0)} | ${s(r.rerun)} | ` +
        `${r.killedAt ?? '—'} | ${s(r.afterKill)} | ${r.afterKill ? r.afterKill.summary.itemsDone : '—'} |`,
    );
  }
  if (results.length >= 2) {
    const a = results[0]!;
    const b = results[results.length - 1]!;
    const rss = (b.full.maxRssMb - a.full.maxRssMb) / a.full.maxRssMb;
    console.log(`\npeak RSS ${b.books} vs ${a.books}: ${(rss * 100).toFixed(1)} % (target < 200 MB, within 15 %); books/s ${(rate(b.full) / rate(a.full)).toFixed(2)} × (target ≥ 1)`);
  }
}

const childArg = process.argv.indexOf('--child');
if (childArg >= 0) {
  await child(process.argv[childArg + 1]!);
} else {
  await main();
}
