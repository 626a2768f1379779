/**
 * `npx tsx bench/auto-workers-bench.ts`: `--workers auto` against each fixed N on the same generated
 * mirror behind a latency proxy (BENCH_DELAY_MS each way, 25 = 50 ms RTT). Target (issue 11): auto's
 * time within 10 % of the best fixed N's, without being told N. Prints each auto run's decisions.
 * Not part of the tests.
 *
 * Env: BENCH_BOOKS (200), BENCH_NS (1,2,4,8,16,32), BENCH_PROTOCOLS (http,ftp), BENCH_DELAY_MS (25),
 * BENCH_MEDIAN_BYTES (300000), BENCH_STRATEGY (adaptive), BENCH_REPEATS (1; the median is kept).
 */
import { rm } from 'node:fs/promises';
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

async function main(): Promise<void> {
  const { dir, root, catalog, totalBytes } = await makeServerBenchMirror('fanout-auto-bench-', BOOKS, Number(env('BENCH_MEDIAN_BYTES', '300000')));
  console.log(`mirror: ${BOOKS} books, ${(totalBytes / 1e6).toFixed(1)} MB; ${2 * DELAY} ms round trip; strategy ${STRATEGY}; ${REPEATS} run(s) per cell`);

  const servers = await startFtpAndHttp(root, DELAY);
  const { urls } = servers;
  const lines: string[] = [];

  /** Median seconds of REPEATS runs, and the decisions of the last one. */
  async function cell(protocol: 'ftp' | 'http', workers: number, auto: boolean): Promise<{ seconds: number; decisions: AutoWorkersDecision[] }> {
    const times: number[] = [];
    let decisions: AutoWorkersDecision[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const out = join(dir, `out-${protocol}-${auto ? 'auto' : workers}-${r}`);
      const seen: AutoWorkersDecision[] = [];
      const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: urls[protocol], workers, autoWorkers: auto, strategy: STRATEGY, outDir: out });
      const t0 = performance.now();
      const summary = await runGutenbergJob(spec, createJobControl((e) => e.kind === 'job:workers' && seen.push(e.decision)));
      times.push((performance.now() - t0) / 1000);
      if (summary.itemsDone !== BOOKS) throw new Error(`${protocol} ${auto ? 'auto' : workers}: ${summary.itemsDone}/${BOOKS} books`);
      decisions = seen;
      await rm(out, { recursive: true, force: true });
    }
    return { seconds: median(times), decisions };
  }

  try {
    for (const protocol of PROTOCOLS) {
      const fixed: Array<{ n: number; seconds: number }> = [];
      for (const n of NS) {
        const { seconds } = await cell(protocol, n, false);
        fixed.push({ n, seconds });
        console.log(`${protocol} N=${String(n).padStart(2)}: ${seconds.toFixed(2)} s`);
      }
      const auto = await cell(protocol, Math.max(...NS), true);
      for (const d of auto.decisions) console.log(`  ${(d.atMs / 1000).toFixed(2)} s: N=${d.workers} ${d.action} — ${d.why}`);
      const best = fixed.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const settled = auto.decisions.at(-1)?.workers ?? 0;
      const ratio = auto.seconds / best.seconds;
      console.log(`${protocol} auto (max ${Math.max(...NS)}): ${auto.seconds.toFixed(2)} s, last N ${settled}`);
      lines.push(`| ${protocol} | ${fixed.map((f) => f.seconds.toFixed(2)).join(' | ')} | ${best.n} (${best.seconds.toFixed(2)} s) | ${auto.seconds.toFixed(2)} s, ends at N=${settled} | ${ratio.toFixed(2)} ${ratio <= 1.1 ? '(met)' : '(missed)'} |`);
    }
  } finally {
    await servers.stop();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`\n| protocol | ${NS.map((n) => `N=${n} s`).join(' | ')} | best fixed | auto | auto ÷ best |`);
  console.log(`|---|${NS.map(() => '---|').join('')}---|---|---|`);
  for (const l of lines) console.log(l);
  console.log('\nTarget: auto ÷ best ≤ 1.10.');
}

await main();
