/**
 * Is an HTTP `adaptive` job CPU-bound or latency-bound (issue 10 target 3)? Runs the Gutenberg bench's
 * mirror (200 books behind the 25 ms latency proxy), an untimed 20-book warm-up, then TL_JOBS timed
 * Fanout jobs at N = TL_N, each followed by curl -Z at the same N (exact paths, as bench:gutenberg).
 * A separate sampler process (gutenberg-timeline-sampler.py) reads both cores' utilisation and each
 * thread's CPU every TL_PERIOD_MS (50); the job's HTTP requests are timed through undici's
 * diagnostics channels (sent, headers, last byte) and each book's landing through `onItemTimed`.
 * Prints per run: wall, cores busy (all processes) and who used them (Fanout by thread kind, server +
 * proxies, curl, everything else on the machine), by phase (before the first request, while bytes
 * flow, after the last byte); per connection the time it had nothing in flight; requests per book.
 * Also: each worker's batches (sizes, time between them), the scrub stage's back-pressure (time
 * `submit` waited), the job's start-up steps before its first request. TL_B=<variant> alternates
 * jobs A (the code as is) and B (A B B A A B …, one process): `speculate` (every batch asks for the
 * indexes at once), `upto<k>` (batches of <= k books do), `firstfill` (a worker finding the queue
 * empty waits one turn for a batch more: what a queue filling first would hand out), `double` (every
 * take twice over: about `adaptiveFactor` 1), `nooverlap` (the pool is not told a batch's connection is
 * free, `WorkerContext.received`: each worker's batches one after the other, as before session 17); bench-only
 * wrappers, no product setting. BENCH_DELAY_MS (25) as bench:gutenberg; at 100 the round trips
 * outweigh a loaded machine. TL_CURL=0: no curl runs. TL_JSON=<file> writes the raw timelines.
 * Not part of the tests.
 *
 * Run as `fanout gutenberg` runs: `MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=4194304 node
 * --max-old-space-size=1024 --max-semi-space-size=2 --import tsx bench/gutenberg-timeline.ts`.
 */
import { spawn } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GutenbergJobSpecSchema } from '../shared/job-spec';
import { createJobControl } from '../electron/engine/core/job-control';
import { runGutenbergJob } from '../electron/engine/gutenberg/run-gutenberg-job';
import { HttpSession } from '../electron/engine/mirror/http-session';
import { ScrubStage } from '../electron/engine/gutenberg/scrub-stage';
import { SharedQueueSource } from '../electron/engine/core/item-sources';
import { JobSelection } from '../electron/engine/gutenberg/job-selection';
import { LandedRaws } from '../electron/engine/gutenberg/landed-raws';
import { ManifestStore } from '../electron/engine/gutenberg/manifest-store';
import { RawFolderScan } from '../electron/engine/gutenberg/raw-folder-scan';
import { JobConnectionLimit } from '../electron/engine/net/host-limits';
import { retireOutput } from './retire-output';
import { makeServerBenchMirror, startFtpAndHttp } from './server-bench-common';

const env = (k: string, d: string) => process.env[k] ?? d;
const N = Number(env('TL_N', '16'));
const BOOKS = Number(env('TL_BOOKS', '200'));
const JOBS = Number(env('TL_JOBS', '3'));
const PERIOD = Number(env('TL_PERIOD_MS', '50'));
const CURL = env('TL_CURL', '1') !== '0';
const TICK = 10; // ms per /proc tick

/** CLOCK_MONOTONIC in seconds (the sampler's time.monotonic()). */
const mono = () => Number(process.hrtime.bigint()) / 1e9;

interface Req { conn: number; path: string; sent: number; headers?: number; status?: number; done?: number }
interface Sample { t: number; cores: Record<string, [number, number]>; threads: Record<string, [string, number, number]>; servers: number; curl: number }

const reqs = new Map<object, Req>();
const socketIds = new WeakMap<object, number>();
let conns = 0;
subscribe('undici:client:sendHeaders', (m) => {
  const { request, socket } = m as { request: object & { path: string }; socket: object };
  let id = socketIds.get(socket);
  if (id === undefined) socketIds.set(socket, (id = ++conns));
  reqs.set(request, { conn: id, path: request.path, sent: mono() });
});
/** Connection attempts (beforeConnect) and connections made, by time. */
const connects: Array<{ t: number; kind: 'before' | 'connected' }> = [];
subscribe('undici:client:beforeConnect', () => void connects.push({ t: mono(), kind: 'before' }));
subscribe('undici:client:connected', () => void connects.push({ t: mono(), kind: 'connected' }));
subscribe('undici:request:headers', (m) => {
  const { request, response } = m as { request: object; response: { statusCode: number } };
  const r = reqs.get(request);
  if (!r) return;
  r.headers = mono();
  r.status = response.statusCode;
});
subscribe('undici:request:trailers', (m) => {
  const r = reqs.get((m as { request: object }).request);
  if (r) r.done = mono();
});

/** Each worker's fetchBooks calls (start, end, books) and the scrub stage's submit waits: bench-only wrappers. */
interface Batch { worker: number; start: number; end: number; books: number; submitWait: number }
const batches: Batch[] = [];
/** TL_B=<name>: jobs alternate A (as is) and B (that variant), A B B A A B …; `speculate`: every batch sends each book's index behind its N-0.txt. */
let variantB = false;
let submitWait = new Map<number, number>();
{
  const fetchBooks = HttpSession.prototype.fetchBooks;
  HttpSession.prototype.fetchBooks = async function (this: HttpSession, ebooks: number[], opts: Parameters<typeof fetchBooks>[1]) {
    const start = mono();
    submitWait.set(this.workerId, 0);
    if (variantB && process.env.TL_B === 'speculate') (this as unknown as { target: { speculateIndex?: boolean } }).target.speculateIndex = true;
    // TL_B=upto<k>: batches of at most k books ask for each index at once (the job's own rule: SPECULATE_UP_TO).
    const upTo = /^upto(\d+)$/.exec(process.env.TL_B ?? '');
    if (variantB && upTo) opts = { ...opts, speculateIndex: ebooks.length <= Number(upTo[1]) };
    // TL_B=nooverlap: the pool's `received` hook is not passed on, so a worker's next batch waits for this one to end (as before session 17).
    if (variantB && process.env.TL_B === 'nooverlap') opts = { ...opts, ctx: { workerId: opts.ctx.workerId, signal: opts.ctx.signal, progress: opts.ctx.progress } };
    try {
      return await fetchBooks.call(this, ebooks, opts as never);
    } finally {
      batches.push({ worker: this.workerId, start, end: mono(), books: ebooks.length, submitWait: submitWait.get(this.workerId) ?? 0 });
    }
  } as typeof fetchBooks;
  const submit = ScrubStage.prototype.submit;
  ScrubStage.prototype.submit = async function (this: ScrubStage, task) {
    const t = mono();
    await submit.call(this, task);
    // Charged to every worker (the stage does not know which called): only its total is read.
    submitWait.set(-1, (submitWait.get(-1) ?? 0) + mono() - t);
  };
}

/**
 * TL_B=firstfill: a worker that finds the shared queue empty takes what comes first, then lets the feed
 * run one turn and takes a batch more (what a queue that waits for a batch to fill would hand out).
 */
{
  const take = SharedQueueSource.prototype.take;
  SharedQueueSource.prototype.take = async function (this: SharedQueueSource<unknown>, workerId: number, signal: AbortSignal) {
    // TL_B=double: every take twice the batch (about ADAPTIVE_FACTOR 1 instead of 2: half the batches, longer ones at the end).
    if (variantB && process.env.TL_B === 'double') {
      const first = await take.call(this, workerId, signal);
      return first.length > 0 && this.queued > 0 ? [...first, ...(await take.call(this, workerId, signal))] : first;
    }
    if (!(variantB && process.env.TL_B === 'firstfill') || this.queued > 0 || this.exhausted) return take.call(this, workerId, signal);
    const first = await take.call(this, workerId, signal);
    if (first.length === 0) return first;
    await new Promise((r) => setImmediate(r));
    return this.queued > 0 ? [...first, ...(await take.call(this, workerId, signal))] : first;
  };
}

/** The job's start-up steps (static opens and reads), by time: what comes before its first request. */
const steps: Array<{ name: string; start: number; end: number }> = [];
for (const [name, cls, key] of [
  ['JobConnectionLimit.open', JobConnectionLimit, 'open'],
  ['JobSelection.read', JobSelection, 'read'],
  ['ManifestStore.open', ManifestStore, 'open'],
  ['LandedRaws.open', LandedRaws, 'open'],
  ['RawFolderScan.read', RawFolderScan, 'read'],
] as const) {
  const target = cls as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const orig = target[key]!;
  target[key] = async function (this: unknown, ...a: unknown[]) {
    const start = mono();
    try {
      return await orig.apply(this, a);
    } finally {
      steps.push({ name, start, end: mono() });
    }
  };
}

function childPids(): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const s = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * Thread kinds (every thread is called `node`): by when it started. V8's platform threads start with
 * the process, and so does libuv's pool under tsx (its loader's first async fs call): `v8+libuv` (perf
 * tells them apart: `PlatformWorker` against `uv` `worker` stacks); the scrub threads behind the first
 * job's first requests (kept warm for the later jobs). `libuv` only if the pool started later.
 */
const starts = { mirror: Infinity, warm: Infinity };
function kindOf(tid: string, start: number): string {
  if (tid === String(process.pid)) return 'main';
  if (start < starts.mirror) return 'v8+libuv';
  if (start < starts.warm) return 'libuv';
  return 'scrub';
}

function delta(a: Sample, b: Sample) {
  let busy = 0;
  let all = 0;
  for (const [k, [bb, bi]] of Object.entries(b.cores)) {
    const [ab, ai] = a.cores[k] ?? [bb, bi];
    busy += bb - ab;
    all += bb - ab + (bi - ai);
  }
  const fanout = new Map<string, number>();
  for (const [tid, [, tk, start]] of Object.entries(b.threads)) {
    const k = kindOf(tid, start);
    fanout.set(k, (fanout.get(k) ?? 0) + tk - (a.threads[tid]?.[1] ?? 0));
  }
  return { busy, all, fanout, servers: b.servers - a.servers, curl: Math.max(0, b.curl - a.curl) };
}

/** CPU use between two times, from the samples around them. */
function window(samples: Sample[], from: number, to: number) {
  const a = samples.findLast((s) => s.t <= from) ?? samples[0]!;
  const b = samples.find((s) => s.t >= to) ?? samples.at(-1)!;
  const d = delta(a, b);
  const span = (b.t - a.t) * 1000;
  const fan = [...d.fanout.values()].reduce((x, y) => x + y, 0);
  return { span, ...d, fan, other: d.busy - fan - d.servers - d.curl };
}

function fmtWindow(label: string, w: ReturnType<typeof window>): string {
  const pct = (ticks: number) => `${((ticks * TICK * 100) / w.span).toFixed(0)}%`;
  const kinds = [...w.fanout].filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${pct(v)}`).join(', ');
  return `  ${label.padEnd(22)} ${w.span.toFixed(0).padStart(5)} ms: cores busy ${((w.busy * 100) / Math.max(1, w.all)).toFixed(0)}% of 2 | fanout ${pct(w.fan)} (${kinds}) | server+proxies ${pct(w.servers)} | curl ${pct(w.curl)} | other processes ${pct(w.other)}`;
}

function batchLines(list: Batch[], t0: number): string[] {
  const byWorker = new Map<number, Batch[]>();
  for (const b of list) byWorker.set(b.worker, [...(byWorker.get(b.worker) ?? []), b]);
  let between = 0;
  let gaps = 0;
  const sizes: number[] = [];
  for (const bs of byWorker.values()) {
    bs.sort((a, b) => a.start - b.start);
    for (let i = 1; i < bs.length; i++) {
      between += bs[i]!.start - bs[i - 1]!.end;
      gaps++;
    }
    for (const b of bs) sizes.push(b.books);
  }
  const first = Math.min(...list.map((b) => b.start));
  return [
    `  batches: ${list.length} (${(list.length / Math.max(1, byWorker.size)).toFixed(1)} per worker; sizes ${sizes.sort((a, b) => b - a).join(' ')}); first at ${((first - t0) * 1000).toFixed(0)} ms; between a worker's batches mean ${((between / Math.max(1, gaps)) * 1000).toFixed(1)} ms (sum ${(between * 1000).toFixed(0)})`,
  ];
}

function timeline(label: string, list: Req[], t0: number, t1: number, bookDone: number[]): string[] {
  const lines: string[] = [];
  const byConn = new Map<number, Req[]>();
  for (const r of list) byConn.set(r.conn, [...(byConn.get(r.conn) ?? []), r]);
  const first = Math.min(...list.map((r) => r.sent));
  const lastByte = Math.max(...list.map((r) => r.done ?? r.sent));
  const statuses = new Map<number, number>();
  for (const r of list) statuses.set(r.status ?? 0, (statuses.get(r.status ?? 0) ?? 0) + 1);
  lines.push(`${label}: ${list.length} requests (${[...statuses].map(([s, c]) => `${c}× ${s}`).join(', ')}), ${(list.length / BOOKS).toFixed(2)} per book, ${byConn.size} connections`);
  const cs = connects.filter((c) => c.t >= t0 && c.t <= t1);
  const at = (k: 'before' | 'connected', f: (xs: number[]) => number) => ((f(cs.filter((c) => c.kind === k).map((c) => c.t)) - t0) * 1000).toFixed(0);
  if (cs.length) lines.push(`  connects: first asked at ${at('before', (x) => Math.min(...x))} ms, first made ${at('connected', (x) => Math.min(...x))}, last made ${at('connected', (x) => Math.max(...x))} (${cs.filter((c) => c.kind === 'connected').length} made)`);
  lines.push(`  start → first request ${((first - t0) * 1000).toFixed(0)} ms; first request → last byte ${((lastByte - first) * 1000).toFixed(0)} ms; last byte → end ${((t1 - lastByte) * 1000).toFixed(0)} ms (wall ${((t1 - t0) * 1000).toFixed(0)})`);
  if (bookDone.length) {
    const sorted = [...bookDone].sort((a, b) => a - b);
    const q = (f: number) => ((sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))]! - t0) * 1000).toFixed(0);
    lines.push(`  books landed (ms from start): 10% ${q(0.1)}, 50% ${q(0.5)}, 90% ${q(0.9)}, last ${q(1)}; after the last byte: ${sorted.filter((x) => x > lastByte).length}`);
  }
  // Per connection: from its first request to its last byte, the time with nothing in flight, and first-byte waits.
  const idle: number[] = [];
  const active: number[] = [];
  const ends: number[] = [];
  let ttfb = 0;
  let nttfb = 0;
  for (const rs of byConn.values()) {
    const ev: Array<[number, number]> = [];
    for (const r of rs) ev.push([r.sent, 1], [r.done ?? r.sent, -1]);
    ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let depth = 0;
    let last = ev[0]![0];
    let gap = 0;
    for (const [t, d] of ev) {
      if (depth === 0) gap += t - last;
      depth += d;
      last = t;
    }
    idle.push(gap * 1000);
    active.push((ev.at(-1)![0] - ev[0]![0]) * 1000);
    ends.push((ev.at(-1)![0] - t0) * 1000);
    for (const r of rs) {
      if (!r.headers) continue;
      ttfb += r.headers - r.sent;
      nttfb++;
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  lines.push(`  per connection: span median ${med(active).toFixed(0)} ms, nothing in flight median ${med(idle).toFixed(0)} ms (sum ${idle.reduce((a, b) => a + b, 0).toFixed(0)}), last byte at ${Math.min(...ends).toFixed(0)}–${Math.max(...ends).toFixed(0)} ms; request → headers mean ${((ttfb / Math.max(1, nttfb)) * 1000).toFixed(0)} ms`);
  // Connections with something in flight, in 100 ms steps from the start.
  const steps: string[] = [];
  for (let t = t0; t < t1; t += 0.1) {
    let c = 0;
    for (const rs of byConn.values()) if (rs.some((r) => r.sent < t + 0.1 && (r.done ?? t1) > t)) c++;
    steps.push(String(c));
  }
  lines.push(`  connections busy per 100 ms: ${steps.join(' ')}`);
  return lines;
}

async function main(): Promise<void> {
  starts.mirror = mono() - 0.02;
  const m = await makeServerBenchMirror('fanout-tl-', BOOKS, 300_000);
  const servers = await startFtpAndHttp(m.root, Number(env('BENCH_DELAY_MS', '25')));
  const sampler = spawn('python3', [fileURLToPath(new URL('./gutenberg-timeline-sampler.py', import.meta.url)), String(PERIOD / 1000), String(process.pid), ...childPids().map(String)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const samples: Sample[] = [];
  let buf = '';
  sampler.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      samples.push(JSON.parse(buf.slice(0, i)) as Sample);
      buf = buf.slice(i + 1);
    }
  });
  const dump: unknown[] = [];
  const job = async (name: string, workers: number, limit?: number) => {
    const out = join(m.dir, name);
    const done: number[] = [];
    const control = { ...createJobControl(), onItemTimed: () => void done.push(mono()) };
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: m.catalog, mirror: servers.urls.http, workers, strategy: 'adaptive', outDir: out, ...(limit ? { selection: { limit } } : {}) });
    const t0 = mono();
    const c0 = process.cpuUsage();
    batches.length = 0;
    steps.length = 0;
    submitWait = new Map();
    const summary = await runGutenbergJob(spec, control);
    const c = process.cpuUsage(c0);
    const t1 = mono();
    await retireOutput(out, join(m.dir, 'retired'));
    const stage = (summary as { scrubStage?: { blockedMs: number; peakInFlight: number } }).scrubStage;
    return { t0, t1, done, cpu: (c.user + c.system) / 1000, items: summary.itemsDone, batches: [...batches], submitWait: submitWait.get(-1) ?? 0, stage, steps: [...steps] };
  };
  const curl = async (n: number) => {
    const out = join(m.dir, `curl-${n}-${Math.random()}`);
    await mkdir(out, { recursive: true });
    const cfg = join(m.dir, 'curl.cfg');
    await writeFile(cfg, m.paths.map((p, i) => `url = "${servers.urls.http}/${p}"\noutput = "${out}/${i}-${p.split('/').pop()}"\n`).join(''));
    const t0 = mono();
    const p = spawn('curl', ['-s', '-S', '-f', '--create-dirs', '-Z', '--parallel-max', String(n), '-K', cfg], { stdio: 'inherit' });
    await new Promise((r) => p.on('exit', r));
    const t1 = mono();
    await retireOutput(out, join(m.dir, 'retired'));
    return { t0, t1 };
  };
  try {
    await new Promise((r) => setTimeout(r, 300));
    starts.warm = mono() - 0.02;
    await job('warm', 4, 20);
    const report: string[] = [];
    for (let j = 1; j <= JOBS; j++) {
      reqs.clear();
      connects.length = 0;
      await new Promise((r) => setTimeout(r, 200));
      variantB = process.env.TL_B !== undefined && [1, 2].includes(j % 4);
      if (process.env.TL_MARK) console.log(`=== job ${j} start`);
      const f = await job(`out-${j}`, N);
      if (process.env.TL_MARK) console.log(`=== job ${j} end`);
      const list = [...reqs.values()].filter((r) => r.sent >= f.t0);
      await new Promise((r) => setTimeout(r, 200));
      const c = CURL ? await curl(N) : null;
      await new Promise((r) => setTimeout(r, 200));
      const first = Math.min(...list.map((r) => r.sent));
      const lastByte = Math.max(...list.map((r) => r.done ?? r.sent));
      report.push(`\njob ${j}${process.env.TL_B ? (variantB ? ' [B]' : ' [A]') : ''} (CLOCK_MONOTONIC ${f.t0.toFixed(6)},${f.t1.toFixed(6)}; perf report --time): fanout ${(f.t1 - f.t0).toFixed(2)} s, CPU ${((f.cpu / f.items) * 1000).toFixed(0)} µs/book (${f.items} books)${c ? `; curl ${(c.t1 - c.t0).toFixed(2)} s, ratio ${((f.t1 - f.t0) / (c.t1 - c.t0)).toFixed(2)}` : ''}`);
      report.push(fmtWindow('fanout whole job', window(samples, f.t0, f.t1)));
      report.push(fmtWindow('  start→1st request', window(samples, f.t0, first)));
      report.push(fmtWindow('  1st request→last byte', window(samples, first, lastByte)));
      report.push(fmtWindow('  last byte→end', window(samples, lastByte, f.t1)));
      if (c) report.push(fmtWindow('curl whole run', window(samples, c.t0, c.t1)));
      report.push(...timeline('  fanout requests', list, f.t0, f.t1, f.done));
      report.push(...batchLines(f.batches, f.t0));
      report.push(`  start-up steps (ms from the job's start): ${f.steps.map((x) => `${x.name} ${((x.start - f.t0) * 1000).toFixed(1)}–${((x.end - f.t0) * 1000).toFixed(1)}`).join(', ')}`);
      report.push(`  scrub stage: submit waited ${(f.submitWait * 1000).toFixed(0)} ms in all; stage ${JSON.stringify(f.stage)}`);
      dump.push({ job: j, fanout: f, curl: c, reqs: list });
    }
    console.log(`N=${N}, ${BOOKS} books, ${JOBS} jobs, sampled every ${PERIOD} ms; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
    console.log(report.join('\n'));
    if (process.env.TL_JSON) await writeFile(process.env.TL_JSON, JSON.stringify({ dump, samples }));
  } finally {
    sampler.stdin.end();
    await servers.stop();
    await rm(m.dir, { recursive: true, force: true });
  }
}

await main();
