/**
 * `npm run bench:ftp-servers`: Fanout against lftp on real FTP servers (vsftpd, pure-ftpd,
 * proftpd; the last two from .ci/servers/ftp.sh), behind the latency proxy (BENCH_DELAY_MS, 25 ms
 * each way = 50 ms RTT, passive data connections too). Each strategy at each N; lftp gets the exact
 * file paths, Fanout finds each book's file itself. Also says, per server, whether Fanout found it
 * safe to queue commands during transfers (`pipelined`) or went lock-step. Not part of the tests.
 *
 * Targets (issue 7): where pipelining is safe, `adaptive` ≤ 0.75 × lftp at N = 1 and N = 8; where
 * it is not, `adaptive` never slower than `queue`.
 *
 * Env: BENCH_BOOKS (200), BENCH_NS (1,8), BENCH_STRATEGIES (serial,queue,split,adaptive),
 * BENCH_SERVERS (vsftpd,pure-ftpd,proftpd), BENCH_DELAY_MS (25), BENCH_MEDIAN_BYTES (300000).
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openMirror } from '../electron/engine/mirror';
import { startFtpServerOf, type FtpServerKind } from '../tests/harness';
import { benchServers, ratios, serverBenchSettings, type ServerBenchRow } from './server-bench-common';

const run = promisify(execFile);

const rows: ServerBenchRow[] = [];
const verdicts = new Map<string, string>();

async function main(): Promise<void> {
  await benchServers(
    {
      prefix: 'fanout-bench-ftp-',
      ...serverBenchSettings('vsftpd,pure-ftpd,proftpd'),
      start: (name, root) => startFtpServerOf(name as FtpServerKind, { root, maxPerIp: 64 }),
      ftp: true,
      url: (server, proxyPort) => server.urlVia(`127.0.0.1:${proxyPort}`),
      probe: async (m, name, url) => {
        // The biggest books in one batch: transfers long enough for commands to arrive during them.
        const biggest = [...m.specs].sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0)).slice(0, 16).map((s) => s.ebook);
        verdicts.set(name, await pipeliningVerdict(url, biggest, join(m.dir, `probe-${name}`)));
      },
      peerTool: 'lftp mget -P',
      peer: (m, url, n, out) => runLftp(url, m.paths, n, out),
    },
    rows,
  );
  report();
}

/**
 * What one batch finds about the server: are commands queued during transfers, or lock-step? (The
 * jobs learn it again each, as a new job does.)
 */
async function pipeliningVerdict(url: string, ebooks: number[], rawDir: string): Promise<string> {
  let verdict = 'pipelined';
  const m = openMirror(url, { timeoutMs: 30_000, ftp: { onLockStep: () => (verdict = 'lock-step') } });
  const s = m.openSession(0);
  const ctx = {
    workerId: 0, signal: new AbortController().signal,
    progress: { setState() {}, setItemTotal() {}, addBytes() {}, resetItemBytes() {}, countRetry() {} },
  };
  await s.fetchBooks(ebooks, { rawDir, ctx, onFetched: async () => {} });
  await m.close();
  return verdict;
}

async function runLftp(url: string, paths: string[], n: number, out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  const script = [
    'set net:max-retries 2', 'set net:timeout 30', 'set ftp:passive-mode on', 'set xfer:clobber on', 'set cmd:fail-exit yes',
    `mget -P ${n} -O ${out} ${paths.map((p) => '/' + p).join(' ')}`, 'quit',
  ].join('; ');
  await run('lftp', ['-e', script, url], { maxBuffer: 64 * 1024 * 1024 });
}

function report(): void {
  console.log('\n| server | transfers | tool | N | seconds | books/s | vs lftp | vs queue |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const { vsPeer, vsQueue } = ratios(rows, r, 'lftp mget -P');
    console.log(`| ${r.server} | ${verdicts.get(r.server) ?? '?'} | ${r.tool} | ${r.n} | ${r.seconds.toFixed(2)} | ${(r.books / r.seconds).toFixed(1)} | ${vsPeer} | ${vsQueue} |`);
  }
  console.log('\nTargets: where transfers are pipelined, adaptive ≤ 0.75 × lftp at N=1 and N=8; lock-step servers: adaptive ≤ queue.');
}

await main();
