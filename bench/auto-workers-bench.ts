/**
 * `npx tsx bench/auto-workers-bench.ts`: `--workers auto` against each fixed N on the same generated
 * mirror behind a latency proxy (BENCH_DELAY_MS each way, 25 = 50 ms RTT). Target (issue 11): auto's
 * time within 10 % of the best fixed N's, without being told N. Prints each auto run's decisions.
 * Not part of the tests.
 *
 * Two auto cells per round, each ÷ the best fixed N of the same round:
 * - first contact (the headline: "without being told N"): a fresh data dir, nothing known about the server;
 * - repeat: a second auto run with the data dir of that round's first-contact run, so it starts at
 *   the knee the first one remembered in hosts.json (net/auto-knee.ts).
 *
 * Paired rounds: each round runs every cell once, the fixed Ns first and auto last in even rounds,
 * auto first and the Ns in reverse in odd ones, so a shared machine's load (and any drift within a
 * round) falls on both sides alike; each cell prints its wall time, this process's CPU time and the
 * load. Each round's ratio is auto ÷ that round's best fixed N; the median of those ratios is the
 * figure to read (one round moves ±15–25 % on a shared machine; BENCH_REPEATS=10 settles 10 %).
 * Each protocol's first job (N = 8) is a warm-up, not counted.
 *
 * Env: BENCH_BOOKS (200), BENCH_NS (1,2,4,8,16,32), BENCH_PROTOCOLS (http,ftp), BENCH_DELAY_MS (25),
 * BENCH_MEDIAN_BYTES (300000), BENCH_STRATEGY (adaptive), BENCH_REPEATS (rounds, 1),
 * BENCH_REPEAT_JOB (1; 0 leaves out the repeat cell, for first-contact A/B runs),
 * BENCH_TRACE (0; 1 prints each job's worker time by state from its timeline spans: where auto's
 * extra time goes against a fixed N, see `traceLine`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { GutenbergJobSpecSchema } from '../shared/job-spec';
import type { AutoWorkersDecision, JobEvent, TimelineSpan } from '../shared/events';
import type { Strategy } from '../shared/strategy';
import { createJobControl } from '../electron/engine/core/job-control';
import { HostMemory } from '../electron/engine/jobs/host-memory';
import { runGutenbergJob } from '../electron/engine/gutenberg/run-gutenberg-job';
import { makeServerBenchMirror, startFtpAndHttp } from './server-bench-common';

const env = (k: string, d: string) => process.env[k] ?? d;
const BOOKS = Number(env('BENCH_BOOKS', '200'));
const NS = env('BENCH_NS', '1,2,4,8,16,32').split(',').map(Number);
const PROTOCOLS = env('BENCH_PROTOCOLS', 'http,ftp').split(',') as Array<'ftp' | 'http'>;
const DELAY = Number(env('BENCH_DELAY_MS', '25'));
const STRATEGY = env('BENCH_STRATEGY', 'adaptive') as Strategy;
const REPEATS = Math.max(1, Number(env('BENCH_REPEATS', '1')));
const REPEAT_JOB = env('BENCH_REPEAT_JOB', '1') !== '0';
const TRACE = env('BENCH_TRACE', '0') === '1';

/**
 * One job's timeline in a line: worker-seconds per state (a login is `connecting` before the first
 * byte), when the last item started (the queue ran dry) and the tail after it, and the workers at
 * work (not idle) in each 100 ms of the first second. Auto against a fixed N: the ramp shows as
 * fewer workers at work early, extra logins as more `connecting`, the tail as time after the last start.
 */
function traceLine(spans: TimelineSpan[], seconds: number): string {
  const byState = new Map<string, number>();
  let lastStart = 0;
  for (const s of spans) {
    byState.set(s.state, (byState.get(s.state) ?? 0) + (s.end - s.start));
    if (s.state === 'downloading' || s.state === 'connecting') lastStart = Math.max(lastStart, s.start);
  }
  const states = [...byState].filter(([k]) => k !== 'stopped').sort((a, b) => b[1] - a[1]).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(2)}`).join(', ');
  const atWork = Array.from({ length: 10 }, (_, i) => {
    const a = i * 100, b = a + 100;
    let ms = 0;
    for (const s of spans) if (s.state !== 'idle' && s.state !== 'stopped') ms += Math.max(0, Math.min(b, s.end) - Math.max(a, s.start));
    return (ms / 100).toFixed(0);
  }).join(' ');
  return `worker-s: ${states}; last start ${(lastStart / 1000).toFixed(2)} s, tail ${(seconds - lastStart / 1000).toFixed(2)} s; at work per 0.1 s: ${atWork}`;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Run { seconds: number; cpu: number; decisions: AutoWorkersDecision[] }

async function main(): Promise<void> {
  const { dir, root, catalog, totalBytes } = await makeServerBenchMirror('fanout-auto-bench-', BOOKS, Number(env('BENCH_MEDIAN_BYTES', '300000')));
  console.log(`mirror: ${BOOKS} books, ${(totalBytes / 1e6).toFixed(1)} MB; ${2 * DELAY} ms round trip; strategy ${STRATEGY}; ${REPEATS} run(s) per cell, alternated`);

  const servers = await startFtpAndHttp(root, DELAY);
  const { urls } = servers;
  const lines: string[] = [];

  /**
   * One job: wall seconds, this process's CPU seconds, and auto's decisions. `dataDir` (auto): where
   * the job reads and keeps what it learns about the server (hosts.json).
   */
  async function once(protocol: 'ftp' | 'http', workers: number, auto: false | 'first' | 'repeat', r: number, dataDir?: string): Promise<Run> {
    const out = join(dir, `out-${protocol}-${auto || workers}-${r}`);
    const decisions: AutoWorkersDecision[] = [];
    const spans: TimelineSpan[] = [];
    const onEvent = (e: JobEvent) => {
      if (e.kind === 'job:workers') decisions.push(e.decision);
      else if (TRACE && e.kind === 'job:frame') spans.push(...e.frame.spans);
    };
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: urls[protocol], workers, autoWorkers: auto !== false, strategy: STRATEGY, outDir: out });
    const hosts = dataDir ? { hosts: new HostMemory(dataDir) } : {};
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const summary = await runGutenbergJob(spec, { ...createJobControl(onEvent), ...hosts });
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    if (summary.itemsDone !== BOOKS) throw new Error(`${protocol} ${auto ? 'auto' : workers}: ${summary.itemsDone}/${BOOKS} books`);
    await rm(out, { recursive: true, force: true });
    const name = auto === 'first' ? 'auto (first contact)' : auto === 'repeat' ? 'auto (repeat)' : `N=${workers}`;
    console.log(`  ${protocol} ${(r < 0 ? 'warm-up' : name).padEnd(20)} run ${r + 1}: ${seconds.toFixed(2)} s, CPU ${((c.user + c.system) / 1e6).toFixed(2)} s, load ${loadavg()[0]!.toFixed(1)}`);
    if (TRACE) console.log(`    ${traceLine(spans, seconds)}`);
    return { seconds, cpu: (c.user + c.system) / 1e6, decisions };
  }

  try {
    for (const protocol of PROTOCOLS) {
      const fixedRuns = new Map<number, Run[]>(NS.map((n) => [n, []]));
      const autoRuns: Run[] = [];
      const repeatRuns: Run[] = [];
      const ratios: number[] = [];
      const repeatRatios: number[] = [];
      const printDecisions = (run: Run) => {
        for (const d of run.decisions) console.log(`    ${(d.atMs / 1000).toFixed(2)} s: N=${d.workers} ${d.action} — ${d.why}`);
      };
      // The process's first job on a protocol runs slow (JIT, the servers' first connections): not counted.
      await once(protocol, 8, false, -1);
      for (let r = 0; r < REPEATS; r++) {
        const fixedCells = async (ns: number[]) => {
          for (const n of ns) fixedRuns.get(n)!.push(await once(protocol, n, false, r));
        };
        const autoCells = async () => {
          // First contact: a fresh data dir (nothing known about the server), as a first `--workers auto` is.
          const dataDir = await mkdtemp(join(dir, `data-${protocol}-${r}-`));
          const a = await once(protocol, Math.max(...NS), 'first', r, dataDir);
          printDecisions(a);
          // Repeat: the same data dir, so the job starts at the knee the first one kept.
          const b = REPEAT_JOB ? await once(protocol, Math.max(...NS), 'repeat', r, dataDir) : null;
          if (b) printDecisions(b);
          return { a, b };
        };
        // Alternated: even rounds fixed Ns then auto, odd rounds auto then the Ns in reverse.
        let cells: { a: Run; b: Run | null };
        if (r % 2 === 0) {
          await fixedCells(NS);
          cells = await autoCells();
        } else {
          cells = await autoCells();
          await fixedCells([...NS].reverse());
        }
        const bestThisRound = Math.min(...NS.map((n) => fixedRuns.get(n)![r]!.seconds));
        autoRuns.push(cells.a);
        ratios.push(cells.a.seconds / bestThisRound);
        if (cells.b) {
          repeatRuns.push(cells.b);
          repeatRatios.push(cells.b.seconds / bestThisRound);
        }
        const repeatSaid = cells.b ? `, repeat ${(cells.b.seconds / bestThisRound).toFixed(2)}` : '';
        console.log(`  ${protocol} round ${r + 1}: auto (first contact) ÷ best fixed N ${ratios.at(-1)!.toFixed(2)}${repeatSaid}`);
      }
      const fixed = NS.map((n) => ({ n, seconds: median(fixedRuns.get(n)!.map((x) => x.seconds)) }));
      for (const f of fixed) console.log(`${protocol} N=${String(f.n).padStart(2)}: ${f.seconds.toFixed(2)} s (median)`);
      const autoSeconds = median(autoRuns.map((x) => x.seconds));
      const best = fixed.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const settled = autoRuns.at(-1)!.decisions.at(-1)?.workers ?? 0;
      const ratio = autoSeconds / best.seconds;
      const repeatSeconds = REPEAT_JOB ? median(repeatRuns.map((x) => x.seconds)) : NaN;
      const repeatSettled = repeatRuns.at(-1)?.decisions.at(-1)?.workers ?? 0;
      const repeatRatio = repeatSeconds / best.seconds;
      const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
      const cpu = (runs: Run[]) => median(runs.map((x) => x.cpu)).toFixed(2);
      console.log(`${protocol} auto, first contact (max ${Math.max(...NS)}): ${autoSeconds.toFixed(2)} s (median), last N ${settled}; ÷ best per round: ${list(ratios)}`);
      if (REPEAT_JOB) console.log(`${protocol} auto, repeat: ${repeatSeconds.toFixed(2)} s (median), last N ${repeatSettled}; ÷ best per round: ${list(repeatRatios)}`);
      const bestCpu = cpu(fixedRuns.get(best.n)!);
      const repeatMedian = REPEAT_JOB ? `, repeat ${median(repeatRatios).toFixed(2)}` : '';
      console.log(`${protocol} paired, ${REPEATS} round(s): median of per-round ratios: first contact ${median(ratios).toFixed(2)}${repeatMedian}; CPU (median s) auto ${cpu(autoRuns)}, N=${best.n} ${bestCpu}`);
      lines.push(
        `| ${protocol} | ${fixed.map((f) => f.seconds.toFixed(2)).join(' | ')} | ${best.n} (${best.seconds.toFixed(2)} s) | ${autoSeconds.toFixed(2)} s, ends at N=${settled} | ${ratio.toFixed(2)} ${ratio <= 1.1 ? '(met)' : '(missed)'} | ${list(ratios)} | ${repeatSeconds.toFixed(2)} s, ends at N=${repeatSettled} | ${repeatRatio.toFixed(2)} | ${list(repeatRatios)} |`,
      );
    }
  } finally {
    await servers.stop();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`\n| protocol | ${NS.map((n) => `N=${n} s`).join(' | ')} | best fixed | auto, first contact | first contact ÷ best (medians) | per round | auto, repeat | repeat ÷ best (medians) | per round |`);
  console.log(`|---|${NS.map(() => '---|').join('')}---|---|---|---|---|---|---|`);
  for (const l of lines) console.log(l);
  console.log('\nTarget: auto ÷ best ≤ 1.10 at first contact (without being told N); the repeat starts at the knee the first run kept.');
}

await main();
