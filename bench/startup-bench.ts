/**
 * Start-up benchmark: `npm run bench:startup [rounds]`. It times the CLI as installed, `node
 * bin/fanout.js` running its bundle in out/cli/, from a tree it builds from the sources first
 * (bench/cli-tree.ts: a stale out/ of the checkout is never what is timed).
 *
 * Times, interleaved round by round so that machine load hits every variant alike:
 *  - `node -e 0`, the floor every Node program pays, measured in the same run;
 *  - `fanout --help` and `fanout <command> --help` for every command;
 *  - a one-job fixed cost: from spawning the job to its first request reaching a local server, for
 *    a one-book `fanout gutenberg` over HTTP (a mirror that answers 404, so the job then ends) and a
 *    one-message `fanout mail` (the first connection to a relay in front of the harness's Dovecot),
 *    each as run (re-launched with the heap flags, bin/relaunch.js) and without the re-launch; for
 *    mail also its first command on that connection (ID and LOGIN: the connection may be opened
 *    before the job's modules load, electron/engine/mail/connect.ts `preconnect`).
 *  - a one-book job's whole fixed cost: `fanout gutenberg` of one real book (300 KB, `N-0.txt`, from
 *    the harness's HTTP server, the mirror layout of tests/harness/mirror-gen.ts) from its spawn to
 *    its first request and to the book landed (its manifest line written: raw and clean files
 *    fsynced, the scrub threads started and warm), against `curl` of the same file through the
 *    same relay, timed in the same rounds: printed last as a ratio line (issue 10 target 1).
 * Besides wall time, the CPU time (user + system, the whole process tree) spent up to that point:
 * on a shared machine the wall times move with the load, the CPU times much less. Read from
 * /proc (Linux; 10 ms ticks, so read medians): a finished command's from this process's reaped
 * children, a job's from its process tree when the first request arrives.
 *
 * BENCH_CATALOG_ROWS=75000 picks the one book from a catalog of that many rows (default: a one-row catalog).
 * BENCH_BASELINE_BIN=/path/to/other/bin/fanout.js adds the same jobs run by another build (e.g. a
 * worktree of an older commit, built), for a before/after in the same run. BENCH_MAIL=0 skips mail.
 * Prints the median and p90 of each, and each median as a ratio of `node -e 0`'s (target: help ≤ 2×).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, watch } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { COMMANDS } from '../electron/cli/commands';
import { buildCliTree } from './cli-tree';
import { startDovecot, type DovecotServer } from '../tests/harness/dovecot';
import { fillMaildir } from '../tests/harness/dovecot-maildir';
import { startHttpServer, type HttpServer } from '../tests/harness/http-server';
import { generateMirror } from '../tests/harness/mirror-gen';

const repo = resolve(import.meta.dirname, '..');
const bin = await buildCliTree('startup');
const baseline = process.env.BENCH_BASELINE_BIN;
const rounds = Math.max(3, Number(process.argv[2] ?? 15));
const TICK_MS = 10; // Linux's USER_HZ: /proc reports CPU time in hundredths of a second


/** utime + stime (+ reaped children's, when `children`) of a process, ms; 0 once it is gone. */
function cpuOf(pid: number | 'self', children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(f[11]) + Number(f[12]);
    return (own + (children ? Number(f[13]) + Number(f[14]) : 0)) * TICK_MS;
  } catch {
    return 0;
  }
}

/** CPU time of `root` and every live descendant, ms (the launcher, the re-launched node, their threads). */
function treeCpu(root: number): number {
  const kids = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  let sum = 0;
  for (const stack = [root]; stack.length > 0; ) {
    const pid = stack.pop()!;
    sum += cpuOf(pid);
    stack.push(...(kids.get(pid) ?? []));
  }
  return sum;
}

interface Sample {
  ms: number;
  cpuMs: number;
  /** Mail jobs: from the spawn to the client's first bytes on that connection (ID and LOGIN, after the greeting). */
  commandMs?: number;
  /** The process's exit code (null: ended by a signal). */
  code?: number | null;
  /** Book jobs: from the spawn to the book landed (its manifest line on disk), and the tree's CPU by then. */
  landedMs?: number;
  landedCpuMs?: number;
}

/** Runs a command to its end; resolves with its wall time and CPU time (from this process's reaped children). */
function timed(args: string[], env: Record<string, string | undefined> = {}, onSpawn?: (t0: number, pid: number) => void, command = process.execPath): Promise<Sample> {
  return new Promise((done, fail) => {
    const cpu0 = cpuOf('self', true) - cpuOf('self');
    const t0 = performance.now();
    const child = spawn(command, args, { cwd: repo, stdio: 'ignore', env: { ...process.env, FANOUT_FROM_SOURCE: '', ...env } });
    onSpawn?.(t0, child.pid!);
    child.on('error', fail);
    child.on('exit', (code) => done({ ms: performance.now() - t0, cpuMs: cpuOf('self', true) - cpuOf('self') - cpu0, code }));
  });
}

/** The first request of the job being timed: its time and the job's CPU so far. */
let onFirstRequest: (() => void) | null = null;
function firstRequest(): void {
  onFirstRequest?.();
  onFirstRequest = null;
}
/** When the mail job being timed first sent bytes on a connection (its first command). */
let firstCommandAt: number | null = null;

/** Runs a job; resolves with the wall and CPU time from its spawn to its first request. */
async function timedToFirstRequest(args: string[], env: Record<string, string | undefined>): Promise<Sample> {
  let t0 = 0;
  let pid = 0;
  firstCommandAt = null;
  const seen = new Promise<Sample>((r) => (onFirstRequest = () => r({ ms: performance.now() - t0, cpuMs: treeCpu(pid) })));
  const ran = await timed(args, env, (t, p) => ((t0 = t), (pid = p)));
  // A job that ended without a request would leave `seen` waiting for ever: say so instead.
  if (onFirstRequest !== null) throw new Error(`${args.slice(0, 2).join(' ')} ended (exit code ${ran.code}) before its first request`);
  const sample = await seen;
  return firstCommandAt === null ? sample : { ...sample, commandMs: firstCommandAt - t0 };
}

/**
 * Runs a one-book job into `out` (made empty first, so that it can be watched from the spawn):
 * its first request as `timedToFirstRequest`, and when its manifest line is on disk (inotify on
 * `out`, no polling beside the job), with the tree's CPU by then.
 */
async function timedToLanded(args: string[], out: string, env: Record<string, string | undefined>): Promise<Sample> {
  await mkdir(out, { recursive: true });
  let t0 = 0;
  let pid = 0;
  let landed: { ms: number; cpuMs: number } | null = null;
  const manifest = join(out, 'manifest.jsonl');
  const watcher = watch(out, (_event, name) => {
    if (landed !== null || name !== 'manifest.jsonl') return;
    try {
      if (statSync(manifest).size > 0) landed = { ms: performance.now() - t0, cpuMs: treeCpu(pid) };
    } catch {
      // not there yet
    }
  });
  const seen = new Promise<Sample>((r) => (onFirstRequest = () => r({ ms: performance.now() - t0, cpuMs: treeCpu(pid) })));
  const ran = await timed(args, env, (t, p) => ((t0 = t), (pid = p)));
  watcher.close();
  if (onFirstRequest !== null) throw new Error(`${args.slice(0, 2).join(' ')} ended (exit code ${ran.code}) before its first request`);
  const done = landed as { ms: number; cpuMs: number } | null;
  if (ran.code !== 0 || done === null || !readFileSync(manifest, 'utf8').includes('"ok"')) {
    throw new Error(`the one-book job ended (exit code ${ran.code}) without its book landed: ${readFileSync(manifest, 'utf8').slice(0, 300)}`);
  }
  return { ...(await seen), landedMs: done.ms, landedCpuMs: done.cpuMs };
}

/**
 * The one-book job's mirror: one real book (300 KB, `-0.txt`) in the mirror layout, served by the
 * harness's HTTP server (nginx-like folder indexes), behind a relay that reports each job's first
 * request (its first bytes on a connection). Also what curl fetches.
 */
async function bookMirror(dir: string): Promise<{ url: string; bookUrl: string; stop(): Promise<void> }> {
  const generated = await generateMirror(join(dir, 'book-mirror'), [{ ebook: 1342, files: ['-0.txt'], sizeBytes: 300_000 }]);
  const http: HttpServer = await startHttpServer({ root: generated.root });
  const relay = createTcpServer((client) => {
    client.once('data', () => firstRequest());
    const upstream = connect(http.port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`;
  return {
    url,
    bookUrl: `${url}${generated.books.get(1342)!.files[0]!.relPath}`,
    stop: async () => {
      relay.close();
      await http.stop();
    },
  };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Dovecot with one message, behind a relay that reports each job's first connection. Null when Dovecot cannot start. */
async function mailServer(): Promise<{ port: number; dovecot: DovecotServer; stop(): Promise<void> } | null> {
  let dovecot: DovecotServer;
  try {
    dovecot = await startDovecot();
  } catch (err) {
    process.stderr.write(`mail jobs skipped: Dovecot did not start (${(err as Error).message.split('\n')[0]})\n`);
    return null;
  }
  const date = new Date('2024-01-02T03:04:05Z');
  fillMaildir(dovecot, 'INBOX', [{ source: Buffer.from(`From: a@example.org\r\nSubject: one\r\nDate: ${date.toUTCString()}\r\n\r\nBody\r\n`), date, seen: false }]);
  const relay = createTcpServer((client) => {
    firstRequest();
    // The first connection may be opened before the job's modules load (connect.ts preconnect):
    // its first command (ID and LOGIN, once the greeting is read) says when the job really starts talking.
    client.once('data', () => (firstCommandAt ??= performance.now()));
    const upstream = connect(dovecot.port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
  return {
    port: (relay.address() as AddressInfo).port,
    dovecot,
    stop: async () => {
      relay.close();
      await dovecot.stop();
    },
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fanout-startup-'));
  const catalog = join(dir, 'catalog.csv');
  // BENCH_CATALOG_ROWS=75000: the one book picked by --ids from a catalog that size (official format).
  const rows = Number(process.env.BENCH_CATALOG_ROWS ?? 1);
  const officialRow = (n: number) => `${n},Text,2000-01-01,"Title ${n}",en,"Author, Some",Fiction,PR,Shelf\n`;
  await writeFile(
    catalog,
    rows <= 1
      ? 'author,FileNumber,Title\nAusten,1342,Pride and Prejudice\n'
      : `Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves\n${Array.from({ length: rows }, (_, i) => officialRow(i + 1)).join('')}`,
  );
  // The "mirror": notes when the first request arrives, answers 404 so the job ends.
  const mirror = createServer((_req, res) => {
    firstRequest();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', () => r()));
  const mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`;
  const mail = process.env.BENCH_MAIL === '0' ? null : await mailServer();
  const books = await bookMirror(dir);
  const curl = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;

  let run = 0;
  const gutenberg = (b: string) => [b, 'gutenberg', '--catalog', catalog, '--ids', '1342', '--mirror', mirrorUrl, '--out', join(dir, `out-${++run}`), '--attempts', '1', '--json'];
  const bookJob = (b: string, out: string) => [b, 'gutenberg', '--catalog', catalog, '--ids', '1342', '--mirror', books.url, '--out', out, '--attempts', '1', '--json'];
  const mailJob = (b: string, port: number, user: string) => [b, 'mail', '--host', '127.0.0.1', '--port', String(port), '--tls', 'none', '--user', user, '--password-env', 'FANOUT_BENCH_PW', '--out', join(dir, `out-${++run}`), '--json'];
  // FANOUT_RELAUNCHED set (to anything) turns the re-launch off (bin/relaunch.js); unset, a job is re-launched.
  const relaunched = { FANOUT_RELAUNCHED: undefined };
  const notRelaunched = { FANOUT_RELAUNCHED: '0' };
  const jobs: Array<{ label: string; run: () => Promise<Sample> }> = [];
  for (const [who, b] of [['', bin], ['baseline ', baseline]] as const) {
    if (!b) continue;
    jobs.push(
      { label: `${who}one-book job → first request`, run: () => timedToFirstRequest(gutenberg(b), relaunched) },
      { label: `${who}  same, not re-launched`, run: () => timedToFirstRequest(gutenberg(b), notRelaunched) },
      {
        label: `${who}one-book job, a 300 KB book → first request`,
        run: () => {
          const out = join(dir, `out-${++run}`);
          return timedToLanded(bookJob(b, out), out, relaunched);
        },
      },
    );
    if (mail) {
      const env = { FANOUT_BENCH_PW: mail.dovecot.password };
      jobs.push(
        { label: `${who}one-message mail job → first connection`, run: () => timedToFirstRequest(mailJob(b, mail.port, mail.dovecot.user), { ...env, ...relaunched }) },
        { label: `${who}  same, not re-launched`, run: () => timedToFirstRequest(mailJob(b, mail.port, mail.dovecot.user), { ...env, ...notRelaunched }) },
      );
    }
  }
  const variants: Array<{ label: string; run: () => Promise<Sample> }> = [
    { label: 'node -e 0', run: () => timed(['-e', '0']) },
    { label: 'fanout --help', run: () => timed([bin, '--help']) },
    ...Object.keys(COMMANDS).map((name) => ({ label: `fanout ${name} --help`, run: () => timed([bin, name, '--help']) })),
    ...jobs,
    ...(curl ? [{ label: 'curl of the same book', run: () => timed(['-s', '-o', join(dir, 'curl-book.txt'), books.bookUrl], {}, undefined, 'curl') }] : []),
  ];
  const samples = new Map(variants.map((v) => [v, [] as Sample[]]));
  for (const v of variants) await v.run(); // warm-up: file cache
  for (let round = 0; round < rounds; round++) for (const v of variants) samples.get(v)!.push(await v.run());
  mirror.close();
  await mail?.stop();
  await books.stop();
  await rm(dir, { recursive: true, force: true });

  const floor = quantile(samples.get(variants[0]!)!.map((s) => s.ms), 0.5);
  const width = Math.max(...variants.map((v) => v.label.length));
  process.stdout.write(`start-up, ${rounds} rounds (median, p90; ratio = median / node -e 0's median; CPU = user + system, median)\n`);
  for (const v of variants) {
    const ms = samples.get(v)!.map((s) => s.ms);
    const median = quantile(ms, 0.5);
    const ratio = median / floor;
    const cpu = quantile(samples.get(v)!.map((s) => s.cpuMs), 0.5);
    const verdict = v.label.endsWith('--help') ? (ratio <= 2 ? '  ok (≤ 2×)' : '  OVER the 2× target') : '';
    process.stdout.write(
      `${v.label.padEnd(width)}  ${median.toFixed(0).padStart(5)} ms  p90 ${quantile(ms, 0.9).toFixed(0).padStart(5)} ms  ${ratio.toFixed(2)}×  CPU ${cpu.toFixed(0).padStart(4)} ms${verdict}\n`,
    );
    const commands = samples.get(v)!.flatMap((x) => (x.commandMs === undefined ? [] : [x.commandMs]));
    if (commands.length > 0) process.stdout.write(`${'    → its first command (ID, LOGIN)'.padEnd(width)}  ${quantile(commands, 0.5).toFixed(0).padStart(5)} ms  p90 ${quantile(commands, 0.9).toFixed(0).padStart(5)} ms  ${(quantile(commands, 0.5) / floor).toFixed(2)}×\n`);
    const landed = samples.get(v)!.flatMap((x) => (x.landedMs === undefined ? [] : [x.landedMs]));
    const landedCpu = samples.get(v)!.flatMap((x) => (x.landedCpuMs === undefined ? [] : [x.landedCpuMs]));
    if (landed.length > 0) process.stdout.write(`${'    → its book landed (manifest line)'.padEnd(width)}  ${quantile(landed, 0.5).toFixed(0).padStart(5)} ms  p90 ${quantile(landed, 0.9).toFixed(0).padStart(5)} ms  ${(quantile(landed, 0.5) / floor).toFixed(2)}×  CPU ${quantile(landedCpu, 0.5).toFixed(0).padStart(4)} ms\n`);
  }
  // Issue 10 target 1: a one-book job's fixed cost, against a peer timed in the same rounds.
  const book = variants.find((v) => v.label === 'one-book job, a 300 KB book → first request');
  const peer = variants.find((v) => v.label === 'curl of the same book') ?? variants[0]!;
  if (book) {
    const at = (k: 'ms' | 'landedMs') => quantile(samples.get(book)!.map((x) => x[k] ?? 0), 0.5);
    const peerMs = quantile(samples.get(peer)!.map((x) => x.ms), 0.5);
    process.stdout.write(
      `one-book job's fixed cost: start → first request ${at('ms').toFixed(0)} ms, → book landed ${at('landedMs').toFixed(0)} ms; ${peer.label} ${peerMs.toFixed(0)} ms: ` +
        `${(at('ms') / peerMs).toFixed(1)}× and ${(at('landedMs') / peerMs).toFixed(1)}× ${peer === variants[0] ? 'node -e 0' : 'curl'} (node -e 0 ${floor.toFixed(0)} ms: ${(at('landedMs') / floor).toFixed(1)}×)\n`,
    );
  }
}

await main();
