/**
 * What bench:ftp-servers and bench:http-servers share: the generated mirror with its catalog (the
 * gutenberg and auto-workers benches' too), the loop over servers behind the latency proxy, timing each Fanout strategy at one N against a server,
 * timing the peer tool, and the ratio columns.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GutenbergJobSpecSchema } from '../shared/job-spec';
import type { Strategy } from '../shared/strategy';
import { createJobControl } from '../electron/engine/core/job-control';
import { runGutenbergJob } from '../electron/engine/gutenberg/run-gutenberg-job';
import { generateMirror, makeBookSpecs, startFtpServer, type MirrorBookSpec } from '../tests/harness';
import { startHarnessProcess } from './harness-process';

const benchEnv = (k: string, d: string): string => process.env[k] ?? d;

export interface ServerBenchRow { server: string; tool: string; n: number; seconds: number; books: number }

export interface ServerBenchMirror {
  /** Temp folder holding the mirror, the catalog and every run's output. */
  dir: string;
  root: string;
  catalog: string;
  specs: MirrorBookSpec[];
  /** Each book's file under the mirror root, for the peer tool (which is given exact paths). */
  paths: string[];
  totalBytes: number;
}

/** A generated mirror of `books` books, every book present (a missing book would only test error paths). */
export async function makeServerBenchMirror(prefix: string, books: number, medianBytes: number): Promise<ServerBenchMirror> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const specs = makeBookSpecs({ count: books, medianBytes }).map((s) => (s.files.length ? s : { ...s, files: ['-0.txt' as const] }));
  const mirror = await generateMirror(join(dir, 'mirror'), specs);
  const catalog = join(dir, 'catalog.csv');
  await writeFile(catalog, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...specs.map((s) => `${s.ebook},Text,2000-01-01,Book ${s.ebook},en,Anon,,,`)].join('\n') + '\n');
  const paths = specs.map((s) => mirror.books.get(s.ebook)!.files[0]!.relPath);
  return { dir, root: mirror.root, catalog, specs, paths, totalBytes: mirror.totalBytes };
}

/**
 * vsftpd and the harness's HTTP server (in a child process) on `root`, each behind its own latency
 * proxy (`delayMs` each way; FTP's data connections too): the URLs to use, and one stop for all four.
 */
export async function startFtpAndHttp(root: string, delayMs: number): Promise<{ urls: { ftp: string; http: string }; stop(): Promise<void> }> {
  const ftp = await startFtpServer({ root, maxPerIp: 64 });
  const http = await startHarnessProcess({ kind: 'http', root });
  const ftpProxy = await startHarnessProcess({ kind: 'proxy', options: { targetPort: ftp.port, delayMs, ftp: true } });
  const httpProxy = await startHarnessProcess({ kind: 'proxy', options: { targetPort: http.port, delayMs } });
  return {
    urls: { ftp: `ftp://127.0.0.1:${ftpProxy.port}`, http: `http://127.0.0.1:${httpProxy.port}` },
    stop: async () => {
      ftpProxy.stop();
      httpProxy.stop();
      http.stop();
      await ftp.stop();
    },
  };
}

/** Runs each strategy (serial only at N = 1) against `url` with `n` workers; one row each. */
export async function timeFanoutStrategies(rows: ServerBenchRow[], m: ServerBenchMirror, server: string, url: string, n: number, strategies: Strategy[]): Promise<void> {
  for (const strategy of strategies) {
    if (strategy === 'serial' && n !== 1) continue;
    const out = join(m.dir, `out-${server}-${strategy}-${n}`);
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: m.catalog, mirror: url, workers: n, strategy, outDir: out });
    const t0 = performance.now();
    const summary = await runGutenbergJob(spec, createJobControl());
    const seconds = (performance.now() - t0) / 1000;
    rows.push({ server, tool: `fanout ${strategy}`, n, seconds, books: summary.itemsDone });
    console.log(`${server} fanout ${strategy.padEnd(8)} N=${String(n).padStart(2)}: ${seconds.toFixed(2)} s, ${summary.itemsDone}/${m.specs.length} books`);
    await rm(out, { recursive: true, force: true });
  }
}

/** Times the peer tool's run of every book (`fetch` is given a fresh output folder); one row. */
export async function timePeer(rows: ServerBenchRow[], m: ServerBenchMirror, server: string, tool: string, n: number, fetch: (out: string) => Promise<unknown>): Promise<void> {
  const out = join(m.dir, `peer-${server}-${n}`);
  const t0 = performance.now();
  await fetch(out);
  const seconds = (performance.now() - t0) / 1000;
  rows.push({ server, tool, n, seconds, books: m.specs.length });
  console.log(`${server} ${tool.padEnd(16)} N=${String(n).padStart(2)}: ${seconds.toFixed(2)} s`);
  await rm(out, { recursive: true, force: true });
}

/** A row's time against the peer tool's (Fanout rows) and adaptive's against queue's, same server and N. */
export function ratios(rows: ServerBenchRow[], r: ServerBenchRow, peerTool: string): { vsPeer: string; vsQueue: string } {
  const peer = rows.find((b) => b.server === r.server && b.n === r.n && b.tool === peerTool);
  const queue = rows.find((b) => b.server === r.server && b.n === r.n && b.tool === 'fanout queue');
  return {
    vsPeer: peer && r.tool.startsWith('fanout') ? (r.seconds / peer.seconds).toFixed(2) : '–',
    vsQueue: queue && r.tool === 'fanout adaptive' ? (r.seconds / queue.seconds).toFixed(2) : '–',
  };
}

export interface ServerBenchSettings {
  books: number;
  medianBytes: number;
  /** Latency added each way by the proxy in front of every server (ms). */
  delayMs: number;
  servers: string[];
  ns: number[];
  strategies: Strategy[];
}

/** The settings both benches take from the environment (BENCH_*; see each bench's header). */
export function serverBenchSettings(defaultServers: string): ServerBenchSettings {
  return {
    books: Number(benchEnv('BENCH_BOOKS', '200')),
    medianBytes: Number(benchEnv('BENCH_MEDIAN_BYTES', '300000')),
    delayMs: Number(benchEnv('BENCH_DELAY_MS', '25')),
    servers: benchEnv('BENCH_SERVERS', defaultServers).split(','),
    ns: benchEnv('BENCH_NS', '1,8').split(',').map(Number),
    strategies: benchEnv('BENCH_STRATEGIES', 'serial,queue,split,adaptive').split(',') as Strategy[],
  };
}

export interface ServerBenchPlan<S extends { port: number; stop(): Promise<void> }> extends ServerBenchSettings {
  /** Temp folder prefix for the mirror. */
  prefix: string;
  start(name: string, root: string): Promise<S>;
  /** The proxy relays FTP (rewrites passive replies so data connections go through it too). */
  ftp?: boolean;
  /** The mirror URL the clients use, through the proxy on `proxyPort`. */
  url(server: S, proxyPort: number): string;
  /** Once per server, before its timings (the FTP bench's pipelining probe). */
  probe?(m: ServerBenchMirror, name: string, url: string): Promise<void>;
  peerTool: string;
  /** The peer tool fetching every book of `m` from `url` with `n` parallel transfers into `out`. */
  peer(m: ServerBenchMirror, url: string, n: number, out: string): Promise<unknown>;
}

/**
 * The generated mirror; per server, the server behind the latency proxy, then at each N every Fanout
 * strategy and the peer tool (rows into `rows`). Servers, proxies and the mirror are removed after.
 */
export async function benchServers<S extends { port: number; stop(): Promise<void> }>(plan: ServerBenchPlan<S>, rows: ServerBenchRow[]): Promise<void> {
  const m = await makeServerBenchMirror(plan.prefix, plan.books, plan.medianBytes);
  console.log(`mirror: ${plan.books} books, ${(m.totalBytes / 1e6).toFixed(1)} MB; latency ${plan.delayMs} ms each way (${2 * plan.delayMs} ms round trip)`);
  try {
    for (const name of plan.servers) {
      const server = await plan.start(name, m.root);
      const proxy = await startHarnessProcess({ kind: 'proxy', options: { targetPort: server.port, delayMs: plan.delayMs, ...(plan.ftp ? { ftp: true } : {}) } });
      const url = plan.url(server, proxy.port);
      try {
        await plan.probe?.(m, name, url);
        for (const n of plan.ns) {
          await timeFanoutStrategies(rows, m, name, url, n, plan.strategies);
          await timePeer(rows, m, name, plan.peerTool, n, (out) => plan.peer(m, url, n, out));
        }
      } finally {
        proxy.stop();
        await server.stop();
      }
    }
  } finally {
    await rm(m.dir, { recursive: true, force: true });
  }
}
