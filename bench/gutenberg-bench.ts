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
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GutenbergJobSpecSchema } from '../shared/job-spec';
import type { Strategy } from '../shared/strategy';
import { createJobControl } from '../electron/engine/core/job-control';
import { runGutenbergJob } from '../electron/engine/gutenberg/run-gutenberg-job';
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

interface CappedRow { protocol: string; n: number; cap: number; bytes: number; seconds: number }
const capped: CappedRow[] = [];

/** `cpu`: CPU seconds (user + system, all threads) of Fanout's job or of the peer's process. */
interface Row { protocol: string; tool: string; n: number; seconds: number; books: number; cpu: number }
const rows: Row[] = [];

async function main(): Promise<void> {
  // Every book present; `paths`: the file Fanout prefers for each book, the peers fetch exactly these.
  const { dir, root, catalog, paths, totalBytes } = await makeServerBenchMirror('fanout-bench-', BOOKS, Number(env('BENCH_MEDIAN_BYTES', '300000')));
  console.log(`mirror: ${BOOKS} books, ${(totalBytes / 1e6).toFixed(1)} MB on disk; latency ${DELAY} ms each way (${2 * DELAY} ms round trip)`);

  const servers = await startFtpAndHttp(root, DELAY);
  const { urls } = servers;

  try {
    // Untimed warm-up (BENCH_WARMUP=0: none): the first job of a process also loads modules, JITs and
    // starts the scrub threads (kept warm for the next job); the rows compare jobs in a running app,
    // whatever the order of BENCH_NS. A cold one-job process is bench:startup's one-book job.
    if (env('BENCH_WARMUP', '1') !== '0') {
      for (const protocol of PROTOCOLS) {
        const out = join(dir, `warm-${protocol}`);
        await runGutenbergJob(GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: urls[protocol], workers: 4, strategy: 'adaptive', outDir: out, selection: { limit: 20 } }), createJobControl());
        await rm(out, { recursive: true, force: true });
      }
    }
    for (const protocol of CAPPED_ONLY ? [] : PROTOCOLS) {
      for (const n of NS) {
        for (const strategy of STRATEGIES) {
          if (strategy === 'serial' && n !== 1) continue;
          const out = join(dir, `out-${protocol}-${strategy}-${n}`);
          const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: urls[protocol], workers: n, strategy, outDir: out });
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          const summary = await runGutenbergJob(spec, createJobControl());
          const seconds = (performance.now() - t0) / 1000;
          const c = process.cpuUsage(c0);
          const cpu = (c.user + c.system) / 1e6;
          rows.push({ protocol, tool: `fanout ${strategy}`, n, seconds, books: summary.itemsDone, cpu });
          console.log(`${protocol} fanout ${strategy.padEnd(8)} N=${String(n).padStart(2)}: ${seconds.toFixed(2)} s (CPU ${cpu.toFixed(2)} s), ${summary.itemsDone}/${BOOKS} books`);
          await rm(out, { recursive: true, force: true });
        }
        const peerOut = join(dir, `peer-${protocol}-${n}`);
        await mkdir(peerOut, { recursive: true });
        const t0 = performance.now();
        const cpu = protocol === 'ftp' ? await runLftp(urls.ftp, paths, n, peerOut) : await runCurl(urls.http, paths, n, peerOut, dir);
        const seconds = (performance.now() - t0) / 1000;
        const tool = protocol === 'ftp' ? 'lftp mget -P' : 'curl -Z';
        rows.push({ protocol, tool, n, seconds, books: BOOKS, cpu });
        console.log(`${protocol} ${tool.padEnd(15)} N=${String(n).padStart(2)}: ${seconds.toFixed(2)} s (CPU ${cpu.toFixed(2)} s)`);
        await rm(peerOut, { recursive: true, force: true });
      }
    }
    for (const protocol of CAP_MIB > 0 ? PROTOCOLS : []) {
      const cap = CAP_MIB * 1024 * 1024;
      const out = join(dir, `out-${protocol}-capped`);
      const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: urls[protocol], workers: CAP_N, strategy: 'adaptive', outDir: out, limitRate: cap });
      const summary = await runGutenbergJob(spec, createJobControl());
      capped.push({ protocol, n: CAP_N, cap, bytes: summary.bytes, seconds: summary.wallMs / 1000 });
      console.log(`${protocol} fanout capped ${CAP_MIB} MiB/s N=${CAP_N}: ${(summary.throughput / 1024 / 1024).toFixed(2)} MiB/s over ${(summary.wallMs / 1000).toFixed(2)} s, ${summary.itemsDone}/${BOOKS} books`);
      await rm(out, { recursive: true, force: true });
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
  console.log('\n| protocol | tool | N | seconds | books/s | speedup vs N=1 | vs peer at same N | CPU s | CPU ms/book |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const base = rows.find((b) => b.protocol === r.protocol && b.tool === r.tool && b.n === 1);
    const peer = rows.find((b) => b.protocol === r.protocol && b.n === r.n && !b.tool.startsWith('fanout'));
    const speedup = base ? (base.seconds / r.seconds).toFixed(2) + '×' : '–';
    const ratio = peer && r.tool.startsWith('fanout') ? (r.seconds / peer.seconds).toFixed(2) : '–';
    console.log(`| ${r.protocol} | ${r.tool} | ${r.n} | ${r.seconds.toFixed(2)} | ${(r.books / r.seconds).toFixed(1)} | ${speedup} | ${ratio} | ${r.cpu.toFixed(2)} | ${((r.cpu / r.books) * 1000).toFixed(1)} |`);
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

await main();
