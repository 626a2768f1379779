/**
 * `npm run bench:gutenberg`: Fanout against lftp (FTP) and curl (HTTP) on the same generated mirror,
 * behind a latency proxy adding BENCH_DELAY_MS (25) each way — FTP passive data connections too.
 * Each strategy at each worker count; peers get the exact file paths, Fanout finds each book's file
 * itself. Prints times, Fanout/peer ratios and speedup against N. Not part of the tests.
 *
 * Env: BENCH_BOOKS (200), BENCH_NS (1,2,4,8,16), BENCH_STRATEGIES (serial,queue,split,adaptive),
 * BENCH_PROTOCOLS (ftp,http), BENCH_DELAY_MS (25), BENCH_MEDIAN_BYTES (300000), BENCH_WARMUP (1: an untimed
 * 20-book job per protocol first).
 * CPU columns: Fanout's job (this process, every thread: process.cpuUsage) and the peer's process
 * (/usr/bin/time); the servers and proxies, shared by both, are not counted.
 * Capped rows (issue 13): adaptive at N=BENCH_CAP_N (8) with a bandwidth cap of BENCH_CAP_MIB (5)
 * MiB/s, measured throughput (bytes ÷ the job's wall time) against the cap; BENCH_CAP_MIB=0 skips
 * them, BENCH_CAPPED_ONLY=1 runs only them.
 *
 * Each Fanout row runs in a child process started as `fanout gutenberg` starts node (bin/node-flags.js:
 * the heap flags and malloc settings; BENCH_NODE_FLAGS replaces both, '' = node's and glibc's defaults),
 * from this file bundled with esbuild (no tsx loader): the child runs the untimed warm-up job, then the
 * timed one. `seconds` and `CPU` are the timed job's own (measured in the child, every thread); the
 * `process s` column is the child's whole life (start-up, warm-up and exit included), for reference.
 * BENCH_IN_PROCESS=1: the jobs run in this process as before session 7 (tsx, node's default flags).
 * Flag A/B in one run (one mirror, one set of servers): BENCH_AB_FLAGS='<node flags>' adds, at each N and
 * strategy, a `fanout <strategy> +B` child started with those flags after the usual ones; BENCH_ROUNDS (1)
 * repeats each N's children and peer, the two children's order alternating round by round (A B, B A, …), and
 * each Fanout row's ratio is against the peer of its own round.
 * `main ms/book`: of that CPU, the job's main thread's (the rest: scrub threads, libuv's pool, V8's
 * helpers: GC marking and JIT compiles); `GC main`: the main isolate's collections in the timed job,
 * scavenges / mark-compacts and their pauses (perf_hooks 'gc' entries; the scrub threads' are not seen).
 * Outputs (Fanout's, the warm-ups', the peers') are not deleted between rows but emptied and set aside
 * (retire-output.ts), and removed when the bench ends: on this machine's ext4 (no journal) a file created
 * within 60 s of deletions in its block group walks past each deleted inode, so every row paid for the
 * previous row's 400 deleted files (Fanout creates two files per book, curl one). BENCH_RM_OUTPUT=1
 * deletes them as before session 15.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { benchChildLaunch } from '../bin/node-flags.js';
import { GutenbergJobSpecSchema, type GutenbergJobInput } from '../shared/job-spec';
import type { Strategy } from '../shared/strategy';
import { createJobControl } from '../electron/engine/core/job-control';
import { runGutenbergJob } from '../electron/engine/gutenberg/run-gutenberg-job';
import { retireOutput } from './retire-output';
import { makeServerBenchMirror, startFtpAndHttp } from './server-bench-common';

const run = promisify(execFile);
const env = (k: string, d: string) => process.env[k] ?? d;
const BOOKS = Number(env('BENCH_BOOKS', '200'));
const NS = env('BENCH_NS', '1,2,4,8,16').split(',').map(Number);
const STRATEGIES = env('BENCH_STRATEGIES', 'serial,queue,split,adaptive').split(',') as Strategy[];
const PROTOCOLS = env('BENCH_PROTOCOLS', 'ftp,http').split(',') as Array<'ftp' | 'http'>;
const DELAY = Number(env('BENCH_DELAY_MS', '25'));
const CAP_MIB = Number(env('BENCH_CAP_MIB', '5'));
const CAP_N = Number(env('BENCH_CAP_N', '8'));
const CAPPED_ONLY = env('BENCH_CAPPED_ONLY', '0') === '1';
const IN_PROCESS = env('BENCH_IN_PROCESS', '0') === '1';
const CHILD = benchChildLaunch('gutenberg');
const AB_FLAGS = env('BENCH_AB_FLAGS', '').split(' ').filter(Boolean);
const ROUNDS = Math.max(1, Number(env('BENCH_ROUNDS', '1')));
const RM_OUTPUT = env('BENCH_RM_OUTPUT', '0') === '1';
/** A finished row's output out of the way: deleted (BENCH_RM_OUTPUT=1) or retired under `<its folder>/../retired` (retire-output.ts). */
async function clearOutput(dir: string): Promise<void> {
  if (RM_OUTPUT) await rm(dir, { recursive: true, force: true });
  else await retireOutput(dir, join(dirname(dir), 'retired'));
}

/**
 * CPU of one file create in the bench's folder now, µs (median of 5 rounds of 40 empty files, kept until
 * the bench ends: a probe must not delete). On this machine's ext4 (no journal) a create walks past every
 * inode of its block group freed in the last 60 s (360 s while the inode table is not yet written back):
 * ~40 µs here with nothing deleted nearby, 150-250 µs after other work's deletions in /tmp (tests, the
 * previous bench's clean-up). Fanout creates two files per book (raw, clean), curl one: printed before
 * each N's rows, so a log shows whether its rows paid that (`sync; sleep 60` before a bench clears its own).
 */
let probes = 0;
function createProbeMicros(dir: string): number {
  const at = join(dir, `create-probe-${++probes}`);
  mkdirSync(at);
  const per: number[] = [];
  for (let round = 0; round < 5; round++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < 40; i++) closeSync(openSync(join(at, `${round}-${i}`), 'wx'));
    const c = process.cpuUsage(c0);
    per.push((c.user + c.system) / 40);
  }
  return per.sort((a, b) => a - b)[2]!;
}

interface CappedRow { protocol: string; n: number; cap: number; bytes: number; seconds: number }
const capped: CappedRow[] = [];

/**
 * `cpu`: CPU seconds (user + system, all threads) of Fanout's job or of the peer's process; `processS`: a Fanout
 * child's whole life, of which `startS` node's start-up and loading the bundle, `warmupS` the warm-up job.
 */
interface Row { protocol: string; tool: string; n: number; round?: number; seconds: number; books: number; cpu: number; processS?: number; startS?: number; warmupS?: number; mainCpu?: number; gc?: GcTally }
const rows: Row[] = [];

/** What a Fanout child runs: an untimed warm-up job (when given), then the timed job. */
interface ChildRequest { warmup: GutenbergJobInput | null; spec: GutenbergJobInput }
/** What it prints (one JSON line): the timed job's wall and CPU (this process, every thread) and result. */
interface ChildReport { seconds: number; cpu: number; itemsDone: number; bytes: number; wallMs: number; throughput: number; warmupS: number; startS: number; mainCpu?: number; gc?: GcTally }

/** The main isolate's collections during a job: scavenges and mark-compacts, and their pauses (ms). */
interface GcTally { minor: number; major: number; minorMs: number; majorMs: number }

/** CPU seconds of this process's main thread (user + system), from /proc (Linux; NaN elsewhere). */
function mainThreadCpu(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Counts the main isolate's collections until `stop()`. */
function tallyGc(): { stop(): Promise<GcTally> } {
  const tally: GcTally = { minor: 0, major: 0, minorMs: 0, majorMs: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
        tally.major++;
        tally.majorMs += e.duration;
      } else if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) {
        tally.minor++;
        tally.minorMs += e.duration;
      }
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    // The entries are delivered asynchronously: one turn for the last ones.
    stop: () => new Promise((resolve) => setImmediate(() => (obs.disconnect(), resolve(tally)))),
  };
}

/** Child side: the warm-up job, then the timed one; one ChildReport line on stdout. */
async function child(arg: string): Promise<void> {
  const req = JSON.parse(arg) as ChildRequest;
  // From the process's start (node's own start-up, loading the bundle) to here.
  const startS = performance.now() / 1000;
  const w0 = performance.now();
  if (req.warmup) {
    await runGutenbergJob(GutenbergJobSpecSchema.parse(req.warmup), createJobControl());
    await clearOutput(req.warmup.outDir);
  }
  const warmupS = (performance.now() - w0) / 1000;
  const spec = GutenbergJobSpecSchema.parse(req.spec);
  const gc = tallyGc();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpu();
  const summary = await runGutenbergJob(spec, createJobControl());
  const c = process.cpuUsage(c0);
  const mainCpu = mainThreadCpu() - m0;
  const seconds = (performance.now() - t0) / 1000;
  const report: ChildReport = {
    seconds, cpu: (c.user + c.system) / 1e6, mainCpu, gc: await gc.stop(),
    itemsDone: summary.itemsDone, bytes: summary.bytes, wallMs: summary.wallMs, throughput: summary.throughput, warmupS, startS,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}

/** Bundles this file and the scrub entry points side by side (the pool finds its worker next to its own module). */
async function buildChild(): Promise<string> {
  const outDir = resolve('node_modules/.cache/fanout-bench/gutenberg-child');
  await mkdir(outDir, { recursive: true });
  const common = ['--bundle', '--platform=node', '--format=esm', '--target=node20', '--packages=external', '--log-level=warning', '--out-extension:.js=.mjs'];
  await run(resolve('node_modules/.bin/esbuild'), [`gutenberg-bench=${fileURLToPath(import.meta.url)}`, `scrub-worker=${resolve('electron/engine/scrub/scrub-worker.ts')}`, `scrub-child=${resolve('electron/engine/scrub/scrub-child.ts')}`, ...common, `--outdir=${outDir}`]);
  return join(outDir, 'gutenberg-bench.mjs');
}

/** One Fanout job: in a child started like `fanout gutenberg` (default), or in this process (BENCH_IN_PROCESS=1). */
async function runFanout(bundle: string | null, spec: GutenbergJobInput, warmup: GutenbergJobInput | null, extraFlags: string[] = []): Promise<ChildReport & { processS: number | undefined }> {
  if (bundle === null) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const summary = await runGutenbergJob(GutenbergJobSpecSchema.parse(spec), createJobControl());
    const c = process.cpuUsage(c0);
    return { seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, itemsDone: summary.itemsDone, bytes: summary.bytes, wallMs: summary.wallMs, throughput: summary.throughput, warmupS: 0, startS: 0, processS: undefined };
  }
  const t = performance.now();
  const req: ChildRequest = { warmup, spec };
  const proc = spawn(process.execPath, [...CHILD.flags, ...extraFlags, bundle, '--child', JSON.stringify(req)], { stdio: ['ignore', 'pipe', 'inherit'], env: CHILD.env });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const [code, signal] = (await once(proc, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new Error(`fanout child exited with ${code ?? signal}`);
  return { ...(JSON.parse(out.trim().split('\n').pop()!) as ChildReport), processS: (performance.now() - t) / 1000 };
}

async function main(): Promise<void> {
  // Every book present; `paths`: the file Fanout prefers for each book, the peers fetch exactly these.
  const { dir, root, catalog, paths, totalBytes } = await makeServerBenchMirror('fanout-bench-', BOOKS, Number(env('BENCH_MEDIAN_BYTES', '300000')));
  console.log(`mirror: ${BOOKS} books, ${(totalBytes / 1e6).toFixed(1)} MB on disk; latency ${DELAY} ms each way (${2 * DELAY} ms round trip)`);

  const servers = await startFtpAndHttp(root, DELAY);
  const { urls } = servers;
  const bundle = IN_PROCESS ? null : await buildChild();
  console.log(IN_PROCESS ? 'Fanout: in this process (tsx, node defaults)' : `Fanout: a child per row, node ${CHILD.flags.join(' ') || '(V8 defaults)'}${process.env.BENCH_NODE_FLAGS === undefined ? ' + malloc settings (as fanout gutenberg)' : ''}`);

  try {
    // Untimed warm-up (BENCH_WARMUP=0: none): the first job of a process also loads modules, JITs and
    // starts the scrub threads (kept warm for the next job); the rows compare jobs in a running app,
    // whatever the order of BENCH_NS. A cold one-job process is bench:startup's one-book job.
    // In process: once per protocol; in children: in each child, before its timed job.
    const warm = env('BENCH_WARMUP', '1') !== '0';
    // A folder of its own for each warm-up (a retired one is not reused: it would be a re-run).
    let warmups = 0;
    const warmupOf = (protocol: 'ftp' | 'http'): GutenbergJobInput | null =>
      warm ? { kind: 'gutenberg', catalog, mirror: urls[protocol], workers: 4, strategy: 'adaptive', outDir: join(dir, `warm-${protocol}-${++warmups}`), selection: { limit: 20 } } : null;
    if (IN_PROCESS) {
      for (const protocol of PROTOCOLS) {
        const w = warmupOf(protocol);
        if (!w) continue;
        await runGutenbergJob(GutenbergJobSpecSchema.parse(w), createJobControl());
        await clearOutput(w.outDir);
      }
    }
    for (const protocol of CAPPED_ONLY ? [] : PROTOCOLS) {
      for (const n of NS) {
        console.log(`fs: a file create costs ${createProbeMicros(dir).toFixed(0)} µs of CPU here now (Fanout makes 2 per book, curl 1)`);
        for (let round = 1; round <= ROUNDS; round++) {
          for (const strategy of STRATEGIES) {
            if (strategy === 'serial' && n !== 1) continue;
            const variants: Array<{ tag: string; flags: string[] }> = AB_FLAGS.length ? [{ tag: '', flags: [] }, { tag: ' +B', flags: AB_FLAGS }] : [{ tag: '', flags: [] }];
            if (round % 2 === 0) variants.reverse();
            for (const { tag, flags } of variants) {
              const out = join(dir, `out-${protocol}-${strategy}-${n}`);
              const spec: GutenbergJobInput = { kind: 'gutenberg', catalog, mirror: urls[protocol], workers: n, strategy, outDir: out };
              const r = await runFanout(bundle, spec, IN_PROCESS ? null : warmupOf(protocol), flags);
              rows.push({ protocol, tool: `fanout ${strategy}${tag}`, n, round, seconds: r.seconds, books: r.itemsDone, cpu: r.cpu, processS: r.processS, startS: r.startS, warmupS: r.warmupS, mainCpu: r.mainCpu, gc: r.gc });
              const life = r.processS === undefined ? '' : `, process ${r.processS.toFixed(2)} s: start-up ${r.startS.toFixed(2)}, warm-up ${r.warmupS.toFixed(2)}`;
              console.log(`${protocol} fanout ${(strategy + tag).padEnd(8)} N=${String(n).padStart(2)}: ${r.seconds.toFixed(2)} s (CPU ${r.cpu.toFixed(2)} s${r.mainCpu === undefined ? '' : `, main thread ${r.mainCpu.toFixed(2)} s`}${life}), ${r.itemsDone}/${BOOKS} books`);
              await clearOutput(out);
            }
          }
          const peerOut = join(dir, `peer-${protocol}-${n}`);
          await mkdir(peerOut, { recursive: true });
          const t0 = performance.now();
          const cpu = protocol === 'ftp' ? await runLftp(urls.ftp, paths, n, peerOut) : await runCurl(urls.http, paths, n, peerOut, dir);
          const seconds = (performance.now() - t0) / 1000;
          const tool = protocol === 'ftp' ? 'lftp mget -P' : 'curl -Z';
          rows.push({ protocol, tool, n, round, seconds, books: BOOKS, cpu });
          console.log(`${protocol} ${tool.padEnd(15)} N=${String(n).padStart(2)}: ${seconds.toFixed(2)} s (CPU ${cpu.toFixed(2)} s)`);
          await clearOutput(peerOut);
        }
      }
    }
    for (const protocol of CAP_MIB > 0 ? PROTOCOLS : []) {
      const cap = CAP_MIB * 1024 * 1024;
      const out = join(dir, `out-${protocol}-capped`);
      const spec: GutenbergJobInput = { kind: 'gutenberg', catalog, mirror: urls[protocol], workers: CAP_N, strategy: 'adaptive', outDir: out, limitRate: cap };
      const r = await runFanout(bundle, spec, IN_PROCESS ? null : warmupOf(protocol));
      capped.push({ protocol, n: CAP_N, cap, bytes: r.bytes, seconds: r.wallMs / 1000 });
      console.log(`${protocol} fanout capped ${CAP_MIB} MiB/s N=${CAP_N}: ${(r.throughput / 1024 / 1024).toFixed(2)} MiB/s over ${(r.wallMs / 1000).toFixed(2)} s, ${r.itemsDone}/${BOOKS} books`);
      await clearOutput(out);
    }
  } finally {
    await servers.stop();
    await rm(dir, { recursive: true, force: true });
  }
  report();
}

/** Runs a peer tool under /usr/bin/time: its CPU seconds (user + system). */
async function timedPeer(args: string[]): Promise<number> {
  const { stderr } = await run('/usr/bin/time', ['-f', 'cpu %U %S', ...args], { maxBuffer: 64 * 1024 * 1024 });
  const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  return m ? Number(m[1]) + Number(m[2]) : NaN;
}

async function runLftp(url: string, paths: string[], n: number, out: string): Promise<number> {
  const script = [
    'set net:max-retries 2', 'set net:timeout 30', 'set ftp:passive-mode on', 'set xfer:clobber on', 'set cmd:fail-exit yes',
    `mget -P ${n} -O ${out} ${paths.map((p) => '/' + p).join(' ')}`, 'quit',
  ].join('; ');
  return timedPeer(['lftp', '-e', script, url]);
}

async function runCurl(url: string, paths: string[], n: number, out: string, dir: string): Promise<number> {
  const config = join(dir, `curl-${n}.cfg`);
  await writeFile(config, paths.map((p, i) => `url = "${url}/${p}"\noutput = "${out}/${i}-${p.split('/').pop()}"\n`).join(''));
  return timedPeer(['curl', '-s', '-S', '-f', '--create-dirs', '-Z', '--parallel-max', String(n), '-K', config]);
}

function report(): void {
  console.log('\n| protocol | tool | N | seconds | books/s | speedup vs N=1 | vs peer at same N | CPU s | CPU ms/book | main ms/book | GC main (scavenges / mark-compacts, ms) | process s (start-up, warm-up) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const base = rows.find((b) => b.protocol === r.protocol && b.tool === r.tool && b.n === 1 && b.round === r.round);
    const peer = rows.find((b) => b.protocol === r.protocol && b.n === r.n && b.round === r.round && !b.tool.startsWith('fanout'));
    const speedup = base ? (base.seconds / r.seconds).toFixed(2) + '×' : '–';
    const ratio = peer && r.tool.startsWith('fanout') ? (r.seconds / peer.seconds).toFixed(2) : '–';
    console.log(`| ${r.protocol} | ${r.tool} | ${r.n}${ROUNDS > 1 && r.round ? ` (round ${r.round})` : ''} | ${r.seconds.toFixed(2)} | ${(r.books / r.seconds).toFixed(1)} | ${speedup} | ${ratio} | ${r.cpu.toFixed(2)} | ${((r.cpu / r.books) * 1000).toFixed(1)} | ${r.mainCpu === undefined || Number.isNaN(r.mainCpu) ? '–' : ((r.mainCpu / r.books) * 1000).toFixed(1)} | ${r.gc ? `${r.gc.minor} / ${r.gc.major} (${r.gc.minorMs.toFixed(0)} / ${r.gc.majorMs.toFixed(0)})` : '–'} | ${r.processS === undefined ? '–' : `${r.processS.toFixed(2)} (${r.startS!.toFixed(2)}, ${r.warmupS!.toFixed(2)})`} |`);
  }
  console.log('\nTargets: FTP time ≤ 0.75 × lftp at N=1 and N=8; speedup at N=8 ≥ 6× over N=1; HTTP time ≤ curl at N=8.');
  if (capped.length === 0) return;
  console.log('\n| protocol | N | cap | bytes | seconds | measured | measured ÷ cap |');
  console.log('|---|---|---|---|---|---|---|');
  for (const c of capped) {
    const measured = c.bytes / c.seconds;
    console.log(`| ${c.protocol} | ${c.n} | ${(c.cap / 1024 / 1024).toFixed(1)} MiB/s | ${(c.bytes / 1e6).toFixed(1)} MB | ${c.seconds.toFixed(2)} | ${(measured / 1024 / 1024).toFixed(2)} MiB/s | ${(measured / c.cap).toFixed(3)} |`);
  }
  console.log('Target: measured within 5 % of the cap (the whole job\'s wall time, start-up and the last book\'s cleaning included).');
}

if (process.argv[2] === '--child') await child(process.argv[3]!);
else await main();
