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
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startApacheServer, startNginxServer } from '../tests/harness';
import { benchServers, ratios, serverBenchSettings, type ServerBenchRow } from './server-bench-common';

const run = promisify(execFile);

const rows: ServerBenchRow[] = [];

async function startServer(name: string, root: string): Promise<{ port: number; stop(): Promise<void> }> {
  const closeAfterResponse = name.endsWith('-close');
  if (name.startsWith('nginx')) return startNginxServer({ root, closeAfterResponse });
  if (name.startsWith('apache')) return startApacheServer({ root, closeAfterResponse });
  throw new Error(`unknown server ${name}`);
}

async function main(): Promise<void> {
  await benchServers(
    {
      prefix: 'fanout-bench-http-',
      ...serverBenchSettings('nginx,apache,nginx-close,apache-close'),
      start: startServer,
      url: (_server, proxyPort) => `http://127.0.0.1:${proxyPort}`,
      peerTool: 'curl -Z',
      peer: async (m, url, n, out) => {
        const config = join(m.dir, `curl-${n}.cfg`);
        await writeFile(config, m.paths.map((p, i) => `url = "${url}/${p}"\noutput = "${out}/${i}-${p.split('/').pop()}"\n`).join(''));
        await run('curl', ['-s', '-S', '-f', '--create-dirs', '-Z', '--parallel-max', String(n), '-K', config], { maxBuffer: 64 * 1024 * 1024 });
      },
    },
    rows,
  );
  report();
}

function report(): void {
  console.log('\n| server | tool | N | seconds | books/s | vs curl | vs queue |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const { vsPeer, vsQueue } = ratios(rows, r, 'curl -Z');
    console.log(`| ${r.server} | ${r.tool} | ${r.n} | ${r.seconds.toFixed(2)} | ${(r.books / r.seconds).toFixed(1)} | ${vsPeer} | ${vsQueue} |`);
  }
  console.log('\nTargets: keep-alive servers: adaptive ≤ 0.75 × curl; servers closing after each response: adaptive ≤ queue.');
}

await main();
