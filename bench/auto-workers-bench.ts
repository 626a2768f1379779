/**
 * `npx tsx bench/auto-workers-bench.ts`: `--workers auto` against each fixed N on the same generated
 * mirror behind a latency proxy (BENCH_DELAY_MS each way, 25 = 50 ms RTT). Target (issue 11): auto's
 * time within 10 % of the best fixed N's, without being told N. Prints each auto run's decisions.
 * Not part of the tests.
 *
 * The cells alternate within each repeat (N=4, 8, ..., auto, then again), so a shared machine's load
 * falls on all of them alike; each cell prints its wall time, this process's CPU time and the load.
 *
 * Env: BENCH_BOOKS (200), BENCH_NS (1,2,4,8,16,32), BENCH_PROTOCOLS (http,ftp), BENCH_DELAY_MS (25),
 * BENCH_MEDIAN_BYTES (300000), BENCH_STRATEGY (adaptive), BENCH_REPEATS (1; the median is kept).
 */
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { GutenbergJobSpecSchema } from '../shared/job-spec';
import type { AutoWorkersDecision } from '../shared/events';
import type { Strategy } from '../shared/strategy';
import { createJobControl } from '../electron/engine/core/job-control';
import { runGutenbergJob } from '../electron/engine/gutenberg/run-gutenberg-job';
import { makeServerBenchMirror, startFtpAndHttp } from './server-bench-common';

const env = (k: string, d: string) => process.env[k] ?? d;
const BOOKS = Number(env('BENCH_BOOKS', '200'));
const NS = env('BENCH_NS', '1,2,4,8,16,32').split(',').map(Number);
const PROTOCOLS = env('BENCH_PROTOCOLS', 'http,ftp').split(',') as Array<'ftp' | 'http'>;
const DELAY = Number(env('BENCH_DELAY_MS', '25'));
const STRATEGY = env('BENCH_STRATEGY', 'adaptive') as Strategy;
const REPEATS = Math.max(1, Number(env('BENCH_REPEATS', '1')));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Run { seconds: number; cpu: number; decisions: AutoWorkersDecision[] }

async function main(): Promise<void> {
  const { dir, root, catalog, totalBytes } = await makeServerBenchMirror('fanout-auto-bench-', BOOKS, Number(env('BENCH_MEDIAN_BYTES', '300000')));
  console.log(`mirror: ${BOOKS} books, ${(totalBytes / 1e6).toFixed(1)} MB; ${2 * DELAY} ms round trip; strategy ${STRATEGY}; ${REPEATS} run(s) per cell, alternated`);

  const servers = await startFtpAndHttp(root, DELAY);
  const { urls } = servers;
  const lines: string[] = [];

  /** One job: wall seconds, this process's CPU seconds, and auto's decisions. */
  async function once(protocol: 'ftp' | 'http', workers: number, auto: boolean, r: number): Promise<Run> {
    const out = join(dir, `out-${protocol}-${auto ? 'auto' : workers}-${r}`);
    const decisions: AutoWorkersDecision[] = [];
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: urls[protocol], workers, autoWorkers: auto, strategy: STRATEGY, outDir: out });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const summary = await runGutenbergJob(spec, createJobControl((e) => e.kind === 'job:workers' && decisions.push(e.decision)));
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    if (summary.itemsDone !== BOOKS) throw new Error(`${protocol} ${auto ? 'auto' : workers}: ${summary.itemsDone}/${BOOKS} books`);
    await rm(out, { recursive: true, force: true });
    const name = auto ? 'auto' : `N=${workers}`;
    console.log(`  ${protocol} ${name.padEnd(5)} run ${r + 1}: ${seconds.toFixed(2)} s, CPU ${((c.user + c.system) / 1e6).toFixed(2)} s, load ${loadavg()[0]!.toFixed(1)}`);
    return { seconds, cpu: (c.user + c.system) / 1e6, decisions };
  }

  try {
    for (const protocol of PROTOCOLS) {
      const fixedRuns = new Map<number, Run[]>(NS.map((n) => [n, []]));
      const autoRuns: Run[] = [];
      const ratios: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        for (const n of NS) fixedRuns.get(n)!.push(await once(protocol, n, false, r));
        const a = await once(protocol, Math.max(...NS), true, r);
        autoRuns.push(a);
        const bestThisRound = Math.min(...NS.map((n) => fixedRuns.get(n)![r]!.seconds));
        ratios.push(a.seconds / bestThisRound);
        for (const d of a.decisions) console.log(`    ${(d.atMs / 1000).toFixed(2)} s: N=${d.workers} ${d.action} — ${d.why}`);
      }
      const fixed = NS.map((n) => ({ n, seconds: median(fixedRuns.get(n)!.map((x) => x.seconds)) }));
      for (const f of fixed) console.log(`${protocol} N=${String(f.n).padStart(2)}: ${f.seconds.toFixed(2)} s (median)`);
      const autoSeconds = median(autoRuns.map((x) => x.seconds));
      const best = fixed.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const settled = autoRuns.at(-1)!.decisions.at(-1)?.workers ?? 0;
      const ratio = autoSeconds / best.seconds;
      console.log(`${protocol} auto (max ${Math.max(...NS)}): ${autoSeconds.toFixed(2)} s (median), last N ${settled}; auto ÷ best per round: ${ratios.map((x) => x.toFixed(2)).join(', ')}`);
      lines.push(`| ${protocol} | ${fixed.map((f) => f.seconds.toFixed(2)).join(' | ')} | ${best.n} (${best.seconds.toFixed(2)} s) | ${autoSeconds.toFixed(2)} s, ends at N=${settled} | ${ratio.toFixed(2)} ${ratio <= 1.1 ? '(met)' : '(missed)'} | ${ratios.map((x) => x.toFixed(2)).join(', ')} |`);
    }
  } finally {
    await servers.stop();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`\n| protocol | ${NS.map((n) => `N=${n} s`).join(' | ')} | best fixed | auto | auto ÷ best (medians) | per round |`);
  console.log(`|---|${NS.map(() => '---|').join('')}---|---|---|---|`);
  for (const l of lines) console.log(l);
  console.log('\nTarget: auto ÷ best ≤ 1.10.');
}

await main();
