/**
 * `npm run bench:mail-auto` (tsx bench/mail-auto-bench.ts): `fanout mail --workers auto` against
 * the best fixed N, in the same run, on one Dovecot mailbox behind a latency proxy (in a child
 * process) adding BENCH_DELAY_MS (25) each way. Each round runs every fixed N of BENCH_NS and auto
 * (max BENCH_AUTO_MAX), in an order rotated per round (a shared machine drifts), each into a new
 * output folder; the table gives per row the median and best wall time, the CPU time of this
 * process (Fanout runs here; Dovecot and the proxy do not), and for auto the N it ended at and its
 * decisions. Then, with BENCH_LIMIT (3; 0 = skip), auto against the same mailbox on a Dovecot
 * limited to that many connections per user and IP: the most sessions it held logged in at once
 * (counted by a relay reading the LOGIN answers) and the refusal decision. Not a test.
 *
 * Env: BENCH_MESSAGES (3000), BENCH_NS (1,2,4,8,16), BENCH_ROUNDS (2), BENCH_DELAY_MS (25),
 * BENCH_STRATEGY (adaptive), BENCH_AUTO_MAX (16), BENCH_LIMIT (3), BENCH_FIXED_CHUNK (unset: each fixed N
 * plans its default chunks, 250 messages; auto plans chunks of 100, so set it to 100 to tell the
 * chunk size apart from the choice of N).
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AutoWorkersDecision, JobSummary } from '../shared/events';
import type { MailJobInput } from '../shared/job-spec';
import type { Strategy } from '../shared/strategy';
import { createJobControl } from '../electron/engine/core/job-control';
import { runMailJob } from '../electron/engine/mail/run-mail-job';
import { makeMessage, rng } from '../tests/harness/dovecot-fill';
import { startDovecot, type DovecotServer } from '../tests/harness/dovecot';
import { fillMaildir, type MaildirMessage } from '../tests/harness/dovecot-maildir';
import { startLoginRelay } from '../tests/integration/mail/auto-relay';
import { startHarnessProcess } from './harness-process';

const env = (k: string, d: string) => process.env[k] ?? d;
const MESSAGES = Number(env('BENCH_MESSAGES', '3000'));
const NS = env('BENCH_NS', '1,2,4,8,16').split(',').map(Number);
const ROUNDS = Number(env('BENCH_ROUNDS', '2'));
const DELAY = Number(env('BENCH_DELAY_MS', '25'));
const STRATEGY = env('BENCH_STRATEGY', 'adaptive') as Strategy;
const AUTO_MAX = Number(env('BENCH_AUTO_MAX', '16'));
const LIMIT = Number(env('BENCH_LIMIT', '3'));
const FIXED_CHUNK = process.env.BENCH_FIXED_CHUNK ? Number(process.env.BENCH_FIXED_CHUNK) : null;

/** A mailbox like mail-bench's: mostly text, one in ten with an attachment (20 kB-400 kB), three folders. */
function fill(srv: DovecotServer): number {
  let bytes = 0;
  ['INBOX', 'Sent', 'Archive'].forEach((folder, fi) => {
    const rand = rng(300 + fi);
    function* gen(): Generator<MaildirMessage> {
      for (let i = fi; i < MESSAGES; i += 3) {
        const date = new Date(Date.UTC(2010, 0, 1) + Math.floor(rand() * 14 * 365 * 86400) * 1000);
        const attachment = rand() < 0.1 ? 20_000 + Math.floor(rand() * 380_000) : 0;
        yield { source: makeMessage(i, date, attachment, rand), date, seen: rand() < 0.7 };
      }
    }
    bytes += fillMaildir(srv, folder, gen());
  });
  return bytes;
}

interface Run {
  wallMs: number;
  cpuMs: number;
  summary: JobSummary;
  decisions: AutoWorkersDecision[];
}

async function archive(port: number, srv: DovecotServer, n: number | 'auto'): Promise<Run> {
  const outDir = await mkdtemp(join(tmpdir(), 'fanout-mail-auto-bench-'));
  const decisions: AutoWorkersDecision[] = [];
  const spec: MailJobInput = {
    kind: 'mail',
    account: { host: '127.0.0.1', port, tls: 'none', user: srv.user, auth: { method: 'password', password: srv.password } },
    outDir,
    connections: n === 'auto' ? AUTO_MAX : n,
    autoWorkers: n === 'auto',
    strategy: STRATEGY,
  };
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  try {
    const limits = n !== 'auto' && FIXED_CHUNK ? { chunkMessages: FIXED_CHUNK } : undefined;
    const summary = await runMailJob(spec, createJobControl((e) => e.kind === 'job:workers' && decisions.push(e.decision)), { limits });
    const wallMs = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    if (summary.status !== 'succeeded' || summary.itemsDone !== MESSAGES) throw new Error(`${n}: ${summary.status}, ${summary.itemsDone} of ${MESSAGES}`);
    return { wallMs, cpuMs: (used.user + used.system) / 1000, summary, decisions };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const why = (ds: AutoWorkersDecision[]) => ds.map((d) => `${(d.atMs / 1000).toFixed(1)}s ${d.action} ${d.workers}: ${d.why}`).join('\n    ');

async function main(): Promise<void> {
  const srv = await startDovecot({ maxUserIpConnections: 64 });
  const proxy = await startHarnessProcess({ kind: 'proxy', options: { targetPort: srv.port, delayMs: DELAY } });
  try {
    const bytes = fill(srv);
    console.log(`mail --workers auto: ${MESSAGES} messages, ${(bytes / 1e6).toFixed(0)} MB, Dovecot +${DELAY} ms each way, ${STRATEGY}, ${ROUNDS} round(s)${FIXED_CHUNK ? `, fixed N in chunks of ${FIXED_CHUNK}` : ''}`);
    const rows: Array<number | 'auto'> = [...NS, 'auto'];
    const runs = new Map<number | 'auto', Run[]>(rows.map((r) => [r, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = rows.map((_, i) => rows[(i + round) % rows.length]!);
      for (const n of order) {
        const r = await archive(proxy.port, srv, n);
        runs.get(n)!.push(r);
        console.log(`  round ${round + 1} ${String(n).padStart(4)}: ${s(r.wallMs)} (CPU ${s(r.cpuMs)})${n === 'auto' ? `, ended at ${r.decisions.at(-1)?.workers}` : ''}`);
      }
    }
    console.log('\n  N       median    best      CPU (median)');
    for (const n of rows) {
      const rs = runs.get(n)!;
      console.log(`  ${String(n).padEnd(6)}  ${s(median(rs.map((r) => r.wallMs))).padEnd(8)}  ${s(Math.min(...rs.map((r) => r.wallMs))).padEnd(8)}  ${s(median(rs.map((r) => r.cpuMs)))}`);
    }
    const best = NS.map((n) => ({ n, ms: median(runs.get(n)!.map((r) => r.wallMs)) })).reduce((a, b) => (b.ms < a.ms ? b : a));
    const autoMs = median(runs.get('auto')!.map((r) => r.wallMs));
    console.log(`\n  best fixed N = ${best.n} (${s(best.ms)}); auto ${s(autoMs)} = ${((autoMs / best.ms) * 100).toFixed(0)} % of it`);
    // Within each round (the machine drifts less within a round than across): auto / that round's best fixed N.
    const perRound = Array.from({ length: ROUNDS }, (_, r) => runs.get('auto')![r]!.wallMs / Math.min(...NS.map((n) => runs.get(n)![r]!.wallMs)));
    console.log(`  per round, auto / the round's best fixed N: ${perRound.map((x) => `${(x * 100).toFixed(0)} %`).join(', ')}`);
    const last = runs.get('auto')!.at(-1)!;
    console.log(`  auto's decisions (last round):\n    ${why(last.decisions)}`);
  } finally {
    proxy.stop();
    await srv.stop();
  }
  if (LIMIT > 0) await limited();
}

/** Auto on a Dovecot limited to LIMIT connections per user and IP. */
async function limited(): Promise<void> {
  const srv = await startDovecot({ maxUserIpConnections: LIMIT });
  const relay = await startLoginRelay(srv.port, DELAY);
  try {
    fill(srv);
    const r = await archive(relay.port, srv, 'auto');
    console.log(`\nDovecot limited to ${LIMIT} per user+IP: auto ${s(r.wallMs)}, ${r.summary.itemsDone} messages, ${r.summary.failures.length} failures, at most ${relay.peakLoggedIn} logged in at once (${relay.connections} connections opened)`);
    console.log(`  decisions:\n    ${why(r.decisions)}`);
  } finally {
    await relay.stop();
    await srv.stop();
  }
}

await main();
