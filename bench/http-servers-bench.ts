/**
 * `npm run bench:http-servers`: Fanout against curl on real HTTP servers (nginx, Apache httpd;
 * from .ci/servers/http.sh), each also with keep-alive off (a connection per response: no
 * pipelining possible), behind the latency proxy (BENCH_DELAY_MS, 25 ms each way = 50 ms RTT).
 * Each strategy at each N; curl gets the exact file paths, Fanout finds each book's file itself.
 * Not part of the tests.
 *
 * Targets (issue 7): where pipelining is safe (keep-alive), `adaptive` ≤ 0.75 × curl; where it is
 * not, `adaptive` never slower than `queue`.
 *
 * Env: BENCH_BOOKS (200), BENCH_NS (1,8), BENCH_STRATEGIES (serial,queue,split,adaptive),
 * BENCH_SERVERS (nginx,apache,nginx-close,apache-close), BENCH_DELAY_MS (25), BENCH_MEDIAN_BYTES (300000).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GutenbergJobSpecSchema } from '../shared/job-spec';
import type { Strategy } from '../shared/strategy';
import { createJobControl } from '../electron/engine/core/job-control';
import { runGutenbergJob } from '../electron/engine/gutenberg/run-gutenberg-job';
import { generateMirror, makeBookSpecs, startApacheServer, startNginxServer } from '../tests/harness';
import { startHarnessProcess } from './harness-process';

const run = promisify(execFile);
const env = (k: string, d: string) => process.env[k] ?? d;
const BOOKS = Number(env('BENCH_BOOKS', '200'));
const NS = env('BENCH_NS', '1,8').split(',').map(Number);
const STRATEGIES = env('BENCH_STRATEGIES', 'serial,queue,split,adaptive').split(',') as Strategy[];
const SERVERS = env('BENCH_SERVERS', 'nginx,apache,nginx-close,apache-close').split(',');
const DELAY = Number(env('BENCH_DELAY_MS', '25'));

interface Row { server: string; tool: string; n: number; seconds: number; books: number }
const rows: Row[] = [];

async function startServer(name: string, root: string): Promise<{ port: number; stop(): Promise<void> }> {
  const closeAfterResponse = name.endsWith('-close');
  if (name.startsWith('nginx')) return startNginxServer({ root, closeAfterResponse });
  if (name.startsWith('apache')) return startApacheServer({ root, closeAfterResponse });
  throw new Error(`unknown server ${name}`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fanout-bench-http-'));
  // Every book present (curl is given exact paths; a missing book would only test error paths).
  const specs = makeBookSpecs({ count: BOOKS, medianBytes: Number(env('BENCH_MEDIAN_BYTES', '300000')) }).map((s) => (s.files.length ? s : { ...s, files: ['-0.txt' as const] }));
  const mirror = await generateMirror(join(dir, 'mirror'), specs);
  const catalog = join(dir, 'catalog.csv');
  await writeFile(catalog, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...specs.map((s) => `${s.ebook},Text,2000-01-01,Book ${s.ebook},en,Anon,,,`)].join('\n') + '\n');
  const paths = specs.map((s) => mirror.books.get(s.ebook)!.files[0]!.relPath);
  console.log(`mirror: ${BOOKS} books, ${(mirror.totalBytes / 1e6).toFixed(1)} MB; latency ${DELAY} ms each way (${2 * DELAY} ms round trip)`);
  try {
    for (const name of SERVERS) {
      const server = await startServer(name, mirror.root);
      const proxy = await startHarnessProcess({ kind: 'proxy', options: { targetPort: server.port, delayMs: DELAY } });
      const url = `http://127.0.0.1:${proxy.port}`;
      try {
        for (const n of NS) {
          for (const strategy of STRATEGIES) {
            if (strategy === 'serial' && n !== 1) continue;
            const out = join(dir, `out-${name}-${strategy}-${n}`);
            const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog, mirror: url, workers: n, strategy, outDir: out });
            const t0 = performance.now();
            const summary = await runGutenbergJob(spec, createJobControl());
            const seconds = (performance.now() - t0) / 1000;
            rows.push({ server: name, tool: `fanout ${strategy}`, n, seconds, books: summary.itemsDone });
            console.log(`${name} fanout ${strategy.padEnd(8)} N=${String(n).padStart(2)}: ${seconds.toFixed(2)} s, ${summary.itemsDone}/${BOOKS} books`);
            await rm(out, { recursive: true, force: true });
          }
          const peerOut = join(dir, `curl-${name}-${n}`);
          await mkdir(peerOut, { recursive: true });
          const config = join(dir, `curl-${n}.cfg`);
          await writeFile(config, paths.map((p, i) => `url = "${url}/${p}"\noutput = "${peerOut}/${i}-${p.split('/').pop()}"\n`).join(''));
          const t0 = performance.now();
          await run('curl', ['-s', '-S', '-f', '--create-dirs', '-Z', '--parallel-max', String(n), '-K', config], { maxBuffer: 64 * 1024 * 1024 });
          const seconds = (performance.now() - t0) / 1000;
          rows.push({ server: name, tool: 'curl -Z', n, seconds, books: BOOKS });
          console.log(`${name} curl -Z          N=${String(n).padStart(2)}: ${seconds.toFixed(2)} s`);
          await rm(peerOut, { recursive: true, force: true });
        }
      } finally {
        proxy.stop();
        await server.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  report();
}

function report(): void {
  console.log('\n| server | tool | N | seconds | books/s | vs curl | vs queue |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const peer = rows.find((b) => b.server === r.server && b.n === r.n && b.tool === 'curl -Z');
    const queue = rows.find((b) => b.server === r.server && b.n === r.n && b.tool === 'fanout queue');
    const vsPeer = peer && r.tool.startsWith('fanout') ? (r.seconds / peer.seconds).toFixed(2) : '–';
    const vsQueue = queue && r.tool === 'fanout adaptive' ? (r.seconds / queue.seconds).toFixed(2) : '–';
    console.log(`| ${r.server} | ${r.tool} | ${r.n} | ${r.seconds.toFixed(2)} | ${(r.books / r.seconds).toFixed(1)} | ${vsPeer} | ${vsQueue} |`);
  }
  console.log('\nTargets: keep-alive servers: adaptive ≤ 0.75 × curl; servers closing after each response: adaptive ≤ queue.');
}

await main();
