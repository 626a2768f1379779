/**
 * Where an HTTP `adaptive` job's CPU goes (issue 10 item 3): runs the Gutenberg bench's mirror at
 * N = PROF_N (8), one warm-up job, then PROF_RUNS measured jobs with the main thread's V8 profiler on, and
 * prints the process's CPU time (all threads), the main thread's busy time by category, the scrub
 * workers' run time, and the server/proxy children's CPU. Not part of the tests.
 *
 * Env: PROF_BOOKS (200), PROF_N (8), PROF_RUNS (2), PROF_OUT (write the .cpuprofile there), PROF_V8 (1; 0: CPU counters only),
 * BENCH_DELAY_MS (25). For the other threads: run it under `perf record -k monotonic` and use the printed window.
 * It runs in this process: to measure as `fanout gutenberg` runs, start it with that command's launch settings
 * (bin/node-flags.js), e.g. `MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=4194304 node --max-old-space-size=1024
 * --import tsx bench/gutenberg-cpu-profile.ts`; it prints the settings it ran with. Page faults by call site:
 * `perf record -e page-faults -c 1 -g` (with `node --perf-basic-prof`), then `perf script --time <window>`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { GutenbergJobSpecSchema } from '../shared/job-spec';
import { createJobControl } from '../electron/engine/core/job-control';
import { runGutenbergJob } from '../electron/engine/gutenberg/run-gutenberg-job';
import { retireOutput } from './retire-output';
import { makeServerBenchMirror, startFtpAndHttp } from './server-bench-common';

const env = (k: string, d: string) => process.env[k] ?? d;
const BOOKS = Number(env('PROF_BOOKS', '200'));
const N = Number(env('PROF_N', '8'));
const RUNS = Number(env('PROF_RUNS', '2'));
/** PROF_V8=0: no V8 profiler (its sampling thread costs CPU too), only the CPU counters. */
const PROFILE = env('PROF_V8', '1') !== '0';
/** PROF_RM_OUTPUT=1: each job's output deleted before the next (the next job's file creates then pay for it: retire-output.ts). */
const RM_OUTPUT = env('PROF_RM_OUTPUT', '0') === '1';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** CPU seconds (user + system) of this process's children (the HTTP server and the latency proxies). */
function childrenCpu(): number {
  const tick = 100;
  let total = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      /* gone */
    }
  }
  return total;
}

/** CPU seconds of each of this process's threads, by thread id (name: /proc's comm). */
function threadsCpu(): Map<string, { name: string; cpu: number }> {
  const threads = new Map<string, { name: string; cpu: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      threads.set(tid, { name, cpu: (Number(fields[11]) + Number(fields[12])) / 100 });
    } catch {
      /* gone */
    }
  }
  return threads;
}

/** Per thread kind (main, libuv pool, scrub workers, V8 helpers): CPU ms between two snapshots. */
function threadsDelta(before: Map<string, { name: string; cpu: number }>, after: Map<string, { name: string; cpu: number }>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [tid, t] of after) {
    const kind = tid === String(process.pid) ? 'main thread' : process.env.PROF_TIDS ? `${t.name} ${tid}` : t.name;
    out.set(kind, (out.get(kind) ?? 0) + (t.cpu - (before.get(tid)?.cpu ?? 0)) * 1000);
  }
  return out;
}

/** The category a sample is charged to: the leaf-most frame that names one. */
function category(url: string, fn: string): string | null {
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(program)') return 'program (native, unattributed)';
  if (url.includes('/undici/')) return 'undici (HTTP parsing, dispatch)';
  if (url.includes('/unzipper/') || url.includes('/binary/') || url.includes('/bluebird/')) return 'unzipper';
  if (url.includes('/piscina/')) return 'piscina (hand-over to scrub threads)';
  if (url.includes('/tsx/') || url.includes('esbuild')) return 'tsx loader';
  if (url.includes('node:internal/crypto/hash') || fn === 'digest') return 'sha256 (main thread)';
  if (url.includes('zlib')) return 'zlib inflate';
  const m = /electron\/engine\/([^?]+)\.ts/.exec(url);
  if (m) return `engine ${m[1]}`;
  if (url.includes('node:internal/fs/promises')) return 'fs promises';
  if (url.includes('node:internal/fs/streams')) return 'fs streams';
  if (url.includes('node:internal/fs')) return 'fs';
  if (url.includes('node:internal/streams')) return 'node streams';
  if (url.includes('node:net') || url.includes('stream_base') || url.includes('node:internal/net')) return 'net sockets';
  return null;
}

function breakdown(p: Profile): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n] as const));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string>();
  const categoryOf = (id: number): string => {
    const cached = memo.get(id);
    if (cached) return cached;
    let cur: number | undefined = id;
    let leaf: string | null = null;
    let found: string | null = null;
    while (cur !== undefined) {
      const node = byId.get(cur)!;
      const c = category(node.callFrame.url, node.callFrame.functionName);
      if (leaf === null) leaf = node.callFrame.functionName === '(idle)' ? 'idle' : null;
      // Node internals (fs, streams, sockets) are charged to the engine file that called them, when one did.
      if (c && (found === null || (found.startsWith('fs') || found.startsWith('node streams') || found.startsWith('net')) && c.startsWith('engine'))) {
        if (found === null || c.startsWith('engine')) found = found && !found.startsWith('fs') && !found.startsWith('node') && !found.startsWith('net') ? found : c;
        if (c.startsWith('engine') || !(c.startsWith('fs') || c.startsWith('node') || c.startsWith('net'))) break;
      }
      cur = parent.get(cur);
    }
    const result = leaf ?? found ?? `other: ${byId.get(id)!.callFrame.functionName || '(anonymous)'} ${byId.get(id)!.callFrame.url.replace(/^.*node_modules\//, '')}`;
    memo.set(id, result);
    return result;
  };
  const totals = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const c = categoryOf(p.samples[i]!);
    totals.set(c, (totals.get(c) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  }
  return totals;
}

/** Measuring only: every FileHandle sync/datasync becomes a no-op (what the fsyncs cost). */
async function noFsync(): Promise<void> {
  const { open } = await import('node:fs/promises');
  const h = await open(process.execPath, 'r');
  const proto = Object.getPrototypeOf(h) as { sync: () => Promise<void>; datasync: () => Promise<void> };
  await h.close();
  proto.sync = proto.datasync = () => Promise.resolve();
}

async function main(): Promise<void> {
  const m = await makeServerBenchMirror('fanout-prof-', BOOKS, 300_000);
  const servers = await startFtpAndHttp(m.root, Number(env('BENCH_DELAY_MS', '25')));
  const session = new Session();
  session.connect();
  const job = async (i: number) => {
    const out = join(m.dir, `out-${i}`);
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: m.catalog, mirror: servers.urls.http, workers: N, strategy: 'adaptive', outDir: out });
    const summary = await runGutenbergJob(spec, createJobControl());
    // Deleted (PROF_RM_OUTPUT=1, as before session 15) or retired (files emptied, removed at the end): retire-output.ts.
    if (RM_OUTPUT) await rm(out, { recursive: true, force: true });
    else await retireOutput(out, join(m.dir, 'retired'));
    return summary;
  };
  try {
    await job(0); // warm-up: module loading, JIT
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    const totals = new Map<string, number>();
    let wall = 0;
    let cpu = 0;
    let children = 0;
    // Page faults and context switches of this process (every thread): load-independent counts.
    let faults = 0;
    let switches = 0;
    const threads = new Map<string, number>();
    // For `perf record -k monotonic`: the measured window (perf report --time <from>,<to>).
    const mono = () => (Number(process.hrtime.bigint() / 1000n) / 1e6).toFixed(6);
    const windowFrom = mono();
    for (let r = 1; r <= RUNS; r++) {
      if (PROFILE) await session.post('Profiler.start');
      const c0 = process.cpuUsage();
      if (process.env.PROF_VARIANT === 'nofsync') await noFsync();
      const k0 = childrenCpu();
      const ru0 = process.resourceUsage();
      const th0 = threadsCpu();
      const t0 = performance.now();
      const summary = await job(r);
      wall += performance.now() - t0;
      const c = process.cpuUsage(c0);
      cpu += (c.user + c.system) / 1000;
      const ru = process.resourceUsage();
      faults += ru.minorPageFault - ru0.minorPageFault;
      switches += ru.voluntaryContextSwitches - ru0.voluntaryContextSwitches + ru.involuntaryContextSwitches - ru0.involuntaryContextSwitches;
      children += (childrenCpu() - k0) * 1000;
      for (const [k, v] of threadsDelta(th0, threadsCpu())) threads.set(k, (threads.get(k) ?? 0) + v);
      if (PROFILE) {
        const { profile } = await session.post('Profiler.stop');
        if (process.env.PROF_OUT) await writeFile(`${process.env.PROF_OUT}-${r}.cpuprofile`, JSON.stringify(profile));
        for (const [k, v] of breakdown(profile as unknown as Profile)) totals.set(k, (totals.get(k) ?? 0) + v);
      }
      console.log(`run ${r}: ${summary.itemsDone}/${BOOKS} books, ${(summary.bytes / 1e6).toFixed(1)} MB`);
    }
    console.log(`perf window (CLOCK_MONOTONIC): --time ${windowFrom},${mono()}`);
    const per = (ms: number) => `${(ms / RUNS).toFixed(0).padStart(6)} ms  ${((ms / RUNS / BOOKS) * 1000).toFixed(0).padStart(6)} µs/book`;
    const malloc = Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_')).map(([k, v]) => `${k}=${v}`);
    console.log(`\nN=${N}, ${BOOKS} books, mean of ${RUNS} runs; node ${process.execArgv.filter((a) => a.startsWith('--') && a !== '--import').join(' ') || '(no flags)'}, ${malloc.join(' ') || 'glibc malloc defaults'}`);
    console.log(`wall                         ${per(wall)}`);
    console.log(`process CPU (all threads)    ${per(cpu)}`);
    for (const [k, v] of [...threads].sort((a, b) => b[1] - a[1])) if (v > 0) console.log(`  thread ${k.padEnd(22)} ${per(v)}`);
    console.log(`server + proxies CPU         ${per(children)}`);
    console.log(`minor page faults            ${(faults / RUNS).toFixed(0).padStart(6)}     ${(faults / RUNS / BOOKS).toFixed(0).padStart(6)} /book`);
    console.log(`context switches             ${(switches / RUNS).toFixed(0).padStart(6)}     ${(switches / RUNS / BOOKS).toFixed(0).padStart(6)} /book`);
    const busy = [...totals].filter(([k]) => k !== 'idle').reduce((s, [, v]) => s + v, 0);
    console.log(`main thread not idle (profile, wall clock: includes time preempted) ${per(busy)}`);
    console.log('\nmain thread by category (wall-clock samples):');
    for (const [k, v] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${per(v)}  ${k}`);
  } finally {
    session.disconnect();
    await servers.stop();
    await rm(m.dir, { recursive: true, force: true });
  }
}

await main();
