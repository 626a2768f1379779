/**
 * `npm run bench:mail` (tsx bench/mail-bench.ts): Fanout's mail archiver against mbsync (Debian
 * isync, `Sync Pull`, `CopyArrivalDate yes`, one pipelined connection) on the same Dovecot mailbox,
 * behind a latency proxy (in a child process) adding BENCH_DELAY_MS (25) each way. Each strategy
 * at each N, full and then again with nothing new; prints the table, Fanout/mbsync ratios and the
 * peak memory of Fanout itself. Not a test.
 *
 * Fanout runs in a child process of its own (bench/mail-bench-child.ts), bundled here as the CLI is
 * (build/cli-bundle.mjs `bundleEntries`: packages bundled, split at dynamic imports, so it loads
 * what `fanout mail` loads, and only that: a run with nothing new never loads imapflow), under plain
 * `node` with `fanout mail`'s flags: no tsx loader, no benchmark harness, no Dovecot filling in its
 * heap. It calls runMailJob as the CLI's mail command does, without the CLI's own layer (commander,
 * option checks, the terminal display) and without bin/relaunch.js's second node start (the child
 * is the process the launcher would start). Its times are process wall times, like mbsync's. The child reports
 * its own peak RSS (getrusage maxrss) and the peaks of `process.memoryUsage()` sampled every
 * 100 ms (V8 heap used, and buffers outside the heap). A second mailbox of BENCH_FLAT_MESSAGES
 * (1,000) messages is archived with the same settings to show memory is flat in mailbox size.
 *
 * Env: BENCH_MESSAGES (5000), BENCH_NS (1,2,4,8), BENCH_STRATEGIES (serial,queue,split,adaptive),
 * BENCH_DELAY_MS (25), BENCH_TARGET_MB (220), BENCH_FLAT_MESSAGES (1000; 0 = skip),
 * BENCH_MBSYNC (1; 0 = skip), BENCH_CPU_PROF (a directory: the full runs write V8 CPU profiles there),
 * BENCH_NODE_FLAGS (flags for the Fanout child; default: as `fanout mail` starts, bin/node-flags.js; '' = node's defaults).
 *
 * Targets mode (issue 10), BENCH_SIZES=1000,5000: per size, BENCH_ROUNDS (2) interleaved rounds of
 * mbsync, Fanout adaptive at each of BENCH_TARGET_NS (4,1) and, with BENCH_COMPARE_BUNDLE (a child
 * bundle's entry file built from an older commit), that build at N = 4; each ratio is taken within
 * its round and the table shows ranges, with the child's job start and first message on disk.
 * BENCH_COMPARE_NS (4) sets the N of that build, BENCH_COMPARE_ENV the environment it adds. BENCH_VARIANTS adds rows of this build with extra
 * node flags or environment (see parseVariants). BENCH_CHILD_WRAP runs the profiled child under a
 * command (`strace -c -f -o /tmp/s-{name}.txt`, `perf record -g -o /tmp/{name}.data --`). The table adds the child's CPU time (user + system,
 * all threads) and its main thread's alone: on a shared machine they move less than wall times.
 * BENCH_PROFILE_AGAIN=1 profiles and wraps the nothing-new runs too (`{name}` ends in `-again`).
 * BENCH_FILL=maildir writes Dovecot's Maildir files directly (50,000 messages in seconds).
 * BENCH_AGAIN_RUNS=5: each tool's "nothing new" is the median of 5 back-to-back runs per round.
 * BENCH_CHILD_TRACE=<file> (read by the child): each Fanout run writes its wire timeline to <file>.<pid>.jsonl
 * (per connection: commands written, tagged answers read, bytes; each message on disk); `python3
 * bench/mail-timeline.py <file> --commands` prints per connection what it waited for and when it had
 * nothing in flight. BENCH_CHILD_LIMITS='{"chunkMessages":100}' (child): plan limits on top of the job's, for a
 * BENCH_VARIANTS row (`c100:BENCH_CHILD_LIMITS={"chunkMessages":100}`).
 * BENCH_KEEP_OUTPUT=0: each run's archive is deleted before the next run, as up to session 14 (default: kept
 * until the end; see KEEP_OUTPUT).
 * The rows `cli N=<n>` (BENCH_CLI_NS, 4; empty = none) time the nothing-new runs as a user runs
 * them: `node bin/fanout.js mail …` from a tree of this checkout's bin/ and a CLI bundle built for the
 * run (bin/relaunch.js's launcher, commander, the option checks, the terminal layer included); their
 * full run is the child's, to fill the archive. BENCH_COMPARE_CLI (another tree's bin/fanout.js, with
 * its out/cli built) adds `cli before N=<n>` rows. The `fanout N=<n>` rows are the child alone.
 *
 * Interop rows: the same mailbox of BENCH_INTEROP_MESSAGES (1000) on each of BENCH_INTEROP_SERVERS
 * (dovecot,cyrus,courier; Cyrus and Courier unpacked by .ci/servers/imap.sh), same delay, Fanout
 * adaptive at N = 1 and 4, and mbsync where it talks to that server. BENCH_INTEROP_ONLY=1 skips
 * the Dovecot strategy table; BENCH_INTEROP_SERVERS= (empty) skips the interop rows.
 */
import { execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Strategy } from '../shared/strategy';
import type { MailAccount, MailJobInput } from '../shared/job-spec';
import type { ChildReport } from './mail-bench-child';
import { bundleEntries } from '../build/cli-bundle.mjs';
import { buildCliTree } from './cli-tree';
import { makeMessage, rng } from '../tests/harness/dovecot-fill';
import { serverPath, type ImapTestServer } from '../tests/harness/imap-server';
import { startImapServer, type ImapMatrixEntry } from '../tests/harness/imap-servers';
import { startHarnessProcess } from './harness-process';
import { benchChildLaunch } from '../bin/node-flags.js';
import { fillMaildir, type MaildirMessage } from '../tests/harness/dovecot-maildir';
import type { DovecotServer } from '../tests/harness/dovecot';

const run = promisify(execFile);
const env = (k: string, d: string) => process.env[k] ?? d;
const MESSAGES = Number(env('BENCH_MESSAGES', '5000'));
const NS = env('BENCH_NS', '1,2,4,8').split(',').map(Number);
const STRATEGIES = env('BENCH_STRATEGIES', 'serial,queue,split,adaptive').split(',') as Strategy[];
const DELAY = Number(env('BENCH_DELAY_MS', '25'));
const TARGET_BYTES = Number(env('BENCH_TARGET_MB', '220')) * 1024 * 1024;
const FLAT_MESSAGES = Number(env('BENCH_FLAT_MESSAGES', '1000'));
const WITH_MBSYNC = env('BENCH_MBSYNC', '1') !== '0';
const CPU_PROF = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : null;
const INTEROP_MESSAGES = Number(env('BENCH_INTEROP_MESSAGES', '1000'));
const INTEROP_SERVERS = env('BENCH_INTEROP_SERVERS', 'dovecot,cyrus,courier').split(',').filter(Boolean) as ImapMatrixEntry[];
const INTEROP_ONLY = env('BENCH_INTEROP_ONLY', '0') === '1';
const MB = 1024 * 1024;
/** Targets mode (issue 10): these mailbox sizes, each measured in BENCH_ROUNDS interleaved rounds. */
const SIZES = process.env.BENCH_SIZES ? process.env.BENCH_SIZES.split(',').map(Number) : null;
const ROUNDS = Number(env('BENCH_ROUNDS', '2'));
/** Another child bundle (built the same way from an older commit) run in the same rounds, as "before". */
/** Connection counts of Fanout in targets mode. */
const TARGET_NS = env('BENCH_TARGET_NS', '4,1').split(',').map(Number);
/** `maildir`: Dovecot mailboxes are filled by writing Maildir files (seconds for 50,000), not by APPEND. */
const FILL = env('BENCH_FILL', 'append');
const PROFILE_AGAIN = env('BENCH_PROFILE_AGAIN', '0') === '1';
/**
 * Runs with nothing new per tool and round (BENCH_AGAIN_RUNS, 1): each tool's "nothing new" is the
 * median of that many back-to-back runs (its timeline from the median run). A run with nothing new
 * is ~0.5 s, so on a loaded machine a few more cost little and steady its ratio.
 */
const AGAIN_RUNS = Math.max(1, Number(env('BENCH_AGAIN_RUNS', '1')));
/**
 * Targets mode keeps each run's archive (and mbsync's Maildir) until the benchmark ends (its
 * temporary folder is removed then), instead of deleting it before the next run; BENCH_KEEP_OUTPUT=0
 * deletes as before (sessions up to 14). This machine's ext4 has no journal, and without one ext4
 * skips inodes freed in the last ~30 s when it allocates a new one (ialloc.c `recently_deleted`, a
 * buffer-cache lookup each): files created right after a run deleted thousands are slow to create,
 * whichever tool creates them (session 15, perf: open's inode allocation 38–48 % of Fanout's CPU,
 * `recently_deleted` alone ~26 %; 1,000 messages, N = 4, 4 runs each way: Fanout's system CPU
 * 0.60–0.90 s kept against 0.80–1.81 deleted, mbsync 3.1–7.1 s against 5.5–6.4). A user's archive
 * is not made seconds after deleting thousands of files.
 */
const KEEP_OUTPUT = env('BENCH_KEEP_OUTPUT', '1') !== '0';

/** The element of `xs` at the median of `key` (the lower middle for an even count). */
function medianBy<T>(xs: T[], key: (x: T) => number): T {
  return [...xs].sort((a, b) => key(a) - key(b))[Math.floor((xs.length - 1) / 2)]!;
}
const COMPARE_BUNDLE = process.env.BENCH_COMPARE_BUNDLE ? resolve(process.env.BENCH_COMPARE_BUNDLE) : null;
/** Connection counts of the `cli` rows (the nothing-new runs through bin/fanout.js, as a user runs them). */
const CLI_NS = env('BENCH_CLI_NS', '4').split(',').filter(Boolean).map(Number);
/** Another tree's bin/fanout.js (its out/cli built), run in the same rounds as `cli before`. */
const COMPARE_CLI = process.env.BENCH_COMPARE_CLI ? resolve(process.env.BENCH_COMPARE_CLI) : null;
/** Connection counts the BENCH_COMPARE_BUNDLE build runs at (default 4). */
const COMPARE_NS = env('BENCH_COMPARE_NS', '4').split(',').map(Number);
/**
 * BENCH_COMPARE_ENV="KEY=value …": environment the BENCH_COMPARE_BUNDLE rows add on top of this tree's
 * launch settings, so an older build also starts as it did (e.g. MALLOC_TRIM_THRESHOLD_=131072 before f4ccb0f).
 */
const COMPARE_ENV: LaunchExtra = { flags: [], env: Object.fromEntries(env('BENCH_COMPARE_ENV', '').split(' ').filter(Boolean).map((w) => w.split(/=(.*)/s) as [string, string])) };

/**
 * Bundles the child (bench/mail-bench-child.ts) as the CLI is bundled (build/cli-bundle.mjs: npm
 * packages in, split at dynamic imports, the same lazy imports and patches) into its own folder;
 * returns its entry file.
 */
async function buildChild(): Promise<string> {
  // One folder per run: several benchmarks may build at once on a shared checkout. Inside the
  // repository, so that the externals (piscina) resolve from node_modules.
  const outdir = resolve(`node_modules/.cache/fanout-bench/mail-bench-${process.pid}`);
  await bundleEntries(resolve('.'), { 'mail-bench-child': fileURLToPath(new URL('./mail-bench-child.ts', import.meta.url)) }, outdir);
  return join(outdir, 'mail-bench-child.js');
}

/** One `fanout mail --json` run through `cli` (a bin/fanout.js) as a user starts it: no flags of ours, its launcher decides. */
async function runCli(cli: string, account: MailAccount, out: string, strategy: Strategy, n: number): Promise<{ processS: number; itemsDone: number; status: string }> {
  const password = account.auth.method === 'password' ? account.auth.password : '';
  const args = [cli, 'mail', '--host', account.host, '--port', String(account.port), '--tls', account.tls, '--user', account.user, '--password-env', 'BENCH_IMAP_PASSWORD', '--out', out, '--connections', String(n), '--strategy', strategy, '--json'];
  const t = performance.now();
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_IMAP_PASSWORD: password } });
  let text = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  const processS = (performance.now() - t) / 1000;
  if (code !== 0) throw new Error(`fanout mail (${cli}) exited with ${code}`);
  const summary = JSON.parse(text) as { itemsDone: number; status: string };
  return { processS, itemsDone: summary.itemsDone, status: summary.status };
}

/** A child launched with extra node flags and environment on top of the launch's (BENCH_VARIANTS). */
interface LaunchExtra {
  flags: string[];
  env: Record<string, string>;
}

/**
 * BENCH_VARIANTS="label:--flag KEY=value;label2:...": more rows in targets mode, this build with
 * extra node flags (`--…`) and environment (`KEY=value`) on top of the launch's, alternated with the
 * others in each round (launch flags and UV_THREADPOOL_SIZE are measured this way before bin/ changes).
 */
function parseVariants(text: string | undefined): Array<[string, LaunchExtra]> {
  if (!text) return [];
  return text.split(';').filter(Boolean).map((v) => {
    const [label, rest = ''] = v.split(/:(.*)/s);
    const words = rest.split(' ').filter(Boolean);
    return [label!.trim(), { flags: words.filter((w) => w.startsWith('--')), env: Object.fromEntries(words.filter((w) => !w.startsWith('--')).map((w) => w.split(/=(.*)/s) as [string, string])) }];
  });
}
const VARIANTS = parseVariants(process.env.BENCH_VARIANTS);

async function runChild(bundle: string, spec: MailJobInput, profileName?: string, extra?: LaunchExtra): Promise<ChildReport & { processS: number }> {
  const args = profileName && CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`, `--cpu-prof-name=${profileName}.cpuprofile`] : [];
  // The child starts as `fanout mail` does (heap flags, malloc settings: bin/node-flags.js); BENCH_NODE_FLAGS replaces them ('' = defaults).
  const launch = benchChildLaunch('mail');
  args.unshift(...launch.flags, ...(extra?.flags ?? []));
  Object.assign(launch.env, extra?.env ?? {});
  // BENCH_CHILD_WRAP: a command the child runs under (e.g. `strace -c -f -o /tmp/s.txt`), for profiles.
  const wrap = process.env.BENCH_CHILD_WRAP && profileName ? process.env.BENCH_CHILD_WRAP.split(' ').map((a) => a.replaceAll('{name}', profileName)) : [];
  const t = performance.now();
  const argv = [process.execPath, ...args, bundle, '--child', JSON.stringify(spec)];
  const proc = spawn(wrap.length > 0 ? wrap[0]! : argv[0]!, [...wrap.slice(1), ...(wrap.length > 0 ? argv : argv.slice(1))], { stdio: ['ignore', 'pipe', 'inherit'], env: launch.env });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  const processS = (performance.now() - t) / 1000;
  if (code !== 0) throw new Error(`fanout child exited with ${code}`);
  return { ...(JSON.parse(out.trim().split('\n').pop()!) as ChildReport), processS };
}

/** Sizes like real mail: most messages are a few KB of text, one in eight carries an attachment (lognormal). */
function messageSizes(n: number): number[] {
  const rand = rng(2024);
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    if (rand() < 0.125) {
      const z = Math.sqrt(-2 * Math.log(rand() || 1e-9)) * Math.cos(2 * Math.PI * rand());
      sizes.push(Math.min(6_000_000, Math.round(Math.exp(Math.log(150_000) + 1.1 * z))));
    } else sizes.push(0);
  }
  // Scale attachments so the total comes near the target (per message, so smaller mailboxes look alike).
  const target = (TARGET_BYTES * n) / 5000;
  const base = n * 3000;
  const att = sizes.reduce((a, b) => a + b, 0);
  const k = att > 0 ? Math.max(0.1, (target - base) / (att * 1.35)) : 1;
  return sizes.map((s) => Math.round(s * k));
}

/** The same mailbox as `fill`, written as Maildir files into a Dovecot no session has opened yet. */
function fillDirect(srv: ImapTestServer, messages: number): { bytes: number; largest: number } {
  const sizes = messageSizes(messages);
  let bytes = 0;
  let largest = 0;
  ['INBOX', 'Sent', 'Archive'].forEach((folder, fi) => {
    const rand = rng(100 + fi);
    function* gen(): Generator<MaildirMessage> {
      for (let i = fi; i < messages; i += 3) {
        const date = new Date(Date.UTC(2010, 0, 1) + Math.floor(rand() * 14 * 365 * 86400) * 1000);
        const source = makeMessage(i, date, sizes[i]!, rand);
        largest = Math.max(largest, source.length);
        yield { source, date, seen: rand() < 0.7 };
      }
    }
    bytes += fillMaildir(srv as DovecotServer, folder, gen());
  });
  return { bytes, largest };
}

async function fill(srv: ImapTestServer, messages: number): Promise<{ bytes: number; largest: number }> {
  if (FILL === 'maildir' && srv.kind === 'dovecot') return fillDirect(srv, messages);
  const sizes = messageSizes(messages);
  const folders = ['INBOX', 'Sent', 'Archive'].map((f) => serverPath(srv, f));
  const clients = await Promise.all(folders.map(() => srv.connect()));
  let bytes = 0;
  let largest = 0;
  await Promise.all(
    folders.map(async (folder, fi) => {
      const c = clients[fi]!;
      if (folder !== 'INBOX') await c.mailboxCreate(folder).catch(() => undefined);
      const rand = rng(100 + fi);
      for (let i = fi; i < messages; i += folders.length) {
        const date = new Date(Date.UTC(2010, 0, 1) + Math.floor(rand() * 14 * 365 * 86400) * 1000);
        const msg = makeMessage(i, date, sizes[i]!, rand);
        bytes += msg.length;
        largest = Math.max(largest, msg.length);
        await c.append(folder, msg, rand() < 0.7 ? ['\\Seen'] : [], date);
      }
      await c.logout();
    }),
  );
  return { bytes, largest };
}

interface Row { tool: string; strategy: string; n: number; full: number; again: number; mem: ChildReport | null; messages: number; againMem?: ChildReport & { processS: number } }

async function timeFanout(bundle: string, account: MailAccount, out: string, strategy: Strategy, n: number, label = '', extra?: LaunchExtra, cli?: string): Promise<Row> {
  const spec: MailJobInput = { kind: 'mail', account, outDir: out, connections: n, strategy };
  const first = await runChild(bundle, spec, `${label}${strategy}-${n}`, extra);
  if (first.summary.status !== 'succeeded') throw new Error(`fanout ${strategy} N=${n}: ${first.summary.status} ${JSON.stringify(first.summary.failures)}`);
  if (cli) {
    // The nothing-new runs as a user runs them (bin/fanout.js), on the archive the child just made.
    const runs: Array<Awaited<ReturnType<typeof runCli>>> = [];
    for (let i = 0; i < AGAIN_RUNS; i++) runs.push(await runCli(cli, account, out, strategy, n));
    if (runs.some((r) => r.itemsDone !== 0 || r.status !== 'succeeded')) throw new Error(`a run with nothing new through ${cli} fetched messages or failed`);
    return { tool: 'fanout', strategy, n, full: first.processS, again: medianBy(runs, (r) => r.processS).processS, mem: first, messages: first.summary.itemsDone };
  }
  // BENCH_PROFILE_AGAIN=1: the nothing-new run is profiled / wrapped too (named `<name>-again`).
  const seconds: Array<Awaited<ReturnType<typeof runChild>>> = [];
  for (let i = 0; i < AGAIN_RUNS; i++) seconds.push(await runChild(bundle, spec, PROFILE_AGAIN ? `${label}${strategy}-${n}-again${i > 0 ? `-${i}` : ''}` : undefined, extra));
  const second = medianBy(seconds, (r) => r.processS);
  if (seconds.some((r) => r.summary.itemsDone !== 0)) throw new Error('a run with nothing new fetched messages');
  return { tool: 'fanout', strategy, n, full: first.processS, again: second.processS, mem: first, messages: first.summary.itemsDone, againMem: second };
}

async function timeMbsync(dir: string, port: number, user: string, password: string): Promise<Row> {
  const maildir = join(dir, 'maildir');
  await mkdir(maildir, { recursive: true });
  const rc = join(dir, 'mbsyncrc');
  await writeFile(
    rc,
    `IMAPAccount bench\nHost 127.0.0.1\nPort ${port}\nUser ${user}\nPass ${password}\nTLSType None\nAuthMechs LOGIN\n\n` +
      `IMAPStore remote\nAccount bench\n\nMaildirStore local\nPath ${maildir}/\nInbox ${maildir}/INBOX\nSubFolders Verbatim\n\n` +
      `Channel bench\nFar :remote:\nNear :local:\nPatterns *\nCreate Near\nSync Pull\nCopyArrivalDate yes\nSyncState *\n`,
  );
  const once = async () => {
    const t = performance.now();
    await run('mbsync', ['-c', rc, '-q', 'bench'], { maxBuffer: 16 << 20 }).catch(async (err: { stderr?: string }) => {
      // Older isync spells TLSType as SSLType.
      if (/TLSType/.test(err.stderr ?? '')) {
        await writeFile(rc, (await readFile(rc, 'utf8')).replace('TLSType None', 'SSLType None'));
        return run('mbsync', ['-c', rc, '-q', 'bench'], { maxBuffer: 16 << 20 });
      }
      throw err;
    });
    return (performance.now() - t) / 1000;
  };
  const full = await once();
  const agains: number[] = [];
  for (let i = 0; i < AGAIN_RUNS; i++) agains.push(await once());
  const again = medianBy(agains, (x) => x);
  return { tool: 'mbsync', strategy: '-', n: 1, full, again, mem: null, messages: await countMaildir(maildir) };
}

/** Messages mbsync wrote: files in every `cur/` and `new/` of the Maildir tree. */
async function countMaildir(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const p = join(dir, e.name);
    if (e.name === 'cur' || e.name === 'new') n += (await readdir(p)).length;
    else n += await countMaildir(p);
  }
  return n;
}

/** A server (Dovecot unless said) filled with `messages`, behind its latency proxy. */
async function mailbox(messages: number, entry: ImapMatrixEntry = 'dovecot') {
  const srv = await startImapServer(entry);
  const proxy = await startHarnessProcess({ kind: 'proxy', options: { targetPort: srv.port, delayMs: DELAY } });
  const t = performance.now();
  const filled = await fill(srv, messages).catch(async (err: unknown) => {
    proxy.stop();
    await srv.stop();
    throw err;
  });
  process.stderr.write(`${entry}: filled ${messages} messages, ${(filled.bytes / MB).toFixed(1)} MB (largest ${(filled.largest / MB).toFixed(1)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s; proxy +${DELAY} ms each way\n`);
  const account: MailAccount = { host: '127.0.0.1', port: proxy.port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'password', password: srv.password } };
  return {
    srv,
    proxy,
    account,
    ...filled,
    async stop() {
      proxy.stop();
      await srv.stop();
    },
  };
}

const mem = (r: ChildReport | null) => (r ? `${r.maxRssMb.toFixed(0)} | ${r.peakHeapUsedMb.toFixed(0)} | ${r.peakArrayBuffersMb.toFixed(0)}` : '- | - | -');

/** The same mailbox on each server of the matrix: Fanout adaptive at N = 1 and 4, and mbsync. */
async function interop(bundle: string, dir: string): Promise<string[]> {
  const lines = [
    '',
    `Interop: the same ${INTEROP_MESSAGES} messages on each server, +${DELAY} ms each way; process wall times (s)`,
    '| server | tool | N | full | nothing new | messages |',
    '|---|---|---|---|---|---|',
  ];
  for (const entry of INTEROP_SERVERS) {
    const box = await mailbox(INTEROP_MESSAGES, entry);
    try {
      if (WITH_MBSYNC) {
        const mb = await timeMbsync(join(dir, `mbsync-${entry}`), box.proxy.port, box.srv.user, box.srv.password).catch((err: Error) => {
          process.stderr.write(`mbsync on ${entry} failed: ${err.message.split('\n')[0]}\n`);
          return null;
        });
        lines.push(mb ? `| ${entry} | mbsync | 1 | ${mb.full.toFixed(2)} | ${mb.again.toFixed(2)} | ${mb.messages} |` : `| ${entry} | mbsync | 1 | (failed) | - | - |`);
      }
      for (const n of [1, 4]) {
        const row = await timeFanout(bundle, box.account, join(dir, `interop-${entry}-${n}`), 'adaptive', n, `${entry}-`);
        if (row.messages !== INTEROP_MESSAGES) throw new Error(`fanout on ${entry} N=${n} archived ${row.messages} of ${INTEROP_MESSAGES}`);
        process.stderr.write(`${entry} fanout N=${n}: full ${row.full.toFixed(2)} s, nothing new ${row.again.toFixed(2)} s\n`);
        lines.push(`| ${entry} | fanout adaptive | ${n} | ${row.full.toFixed(2)} | ${row.again.toFixed(2)} | ${row.messages} |`);
        await rm(join(dir, `interop-${entry}-${n}`), { recursive: true, force: true });
      }
    } finally {
      await box.stop();
    }
  }
  return lines;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fanout-mail-bench-'));
  const bundle = await buildChild();
  process.once('exit', () => rmSync(join(bundle, '..'), { recursive: true, force: true }));
  if (CPU_PROF) await mkdir(CPU_PROF, { recursive: true });
  if (INTEROP_ONLY) {
    try {
      process.stdout.write(`${(await interop(bundle, dir)).join('\n')}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return;
  }
  const box = await mailbox(MESSAGES);
  const lines: string[] = [];
  try {
    const rows: Row[] = [];
    const mb = WITH_MBSYNC
      ? await timeMbsync(join(dir, 'mbsync'), box.proxy.port, box.srv.user, box.srv.password).catch((err: Error) => {
          process.stderr.write(`mbsync failed: ${err.message}\n`);
          return null;
        })
      : null;
    if (mb) {
      rows.push(mb);
      process.stderr.write(`mbsync: full ${mb.full.toFixed(2)} s, nothing new ${mb.again.toFixed(2)} s\n`);
    }
    for (const strategy of STRATEGIES) {
      for (const n of strategy === 'serial' ? [1] : NS) {
        const out = join(dir, `fanout-${strategy}-${n}`);
        const row = await timeFanout(bundle, box.account, out, strategy, n);
        rows.push(row);
        const m = row.mem!;
        process.stderr.write(`fanout ${strategy} N=${n}: full ${row.full.toFixed(2)} s (job ${(m.summary.wallMs / 1000).toFixed(2)} s, CPU user ${m.cpuUserS.toFixed(1)} s + sys ${m.cpuSystemS.toFixed(1)} s), nothing new ${row.again.toFixed(2)} s, peak RSS ${m.maxRssMb.toFixed(0)} MB, heap ${m.peakHeapUsedMb.toFixed(0)} MB, buffers ${m.peakArrayBuffersMb.toFixed(0)} MB\n`);
        await rm(out, { recursive: true, force: true });
      }
    }
    lines.push(
      `${MESSAGES} messages, ${(box.bytes / MB).toFixed(1)} MB (largest ${(box.largest / MB).toFixed(1)} MB), +${DELAY} ms each way; times are process wall times (s)`,
      `| tool | strategy | N | full | nothing new | full / mbsync | again / mbsync | peak RSS (MB) | peak heap (MB) | peak buffers (MB) |`,
      `|---|---|---|---|---|---|---|---|---|---|`,
    );
    for (const r of rows) {
      const rf = mb ? (r.full / mb.full).toFixed(2) : '-';
      const ra = mb ? (r.again / mb.again).toFixed(2) : '-';
      lines.push(`| ${r.tool} | ${r.strategy} | ${r.n} | ${r.full.toFixed(2)} | ${r.again.toFixed(2)} | ${rf} | ${ra} | ${mem(r.mem)} |`);
    }
    // Memory against mailbox size: the same settings on a smaller mailbox.
    if (FLAT_MESSAGES > 0) {
      const flatN = NS.includes(4) ? 4 : NS[0]!;
      const strategy: Strategy = STRATEGIES.includes('adaptive') ? 'adaptive' : STRATEGIES[0]!;
      const big = rows.find((r) => r.tool === 'fanout' && r.strategy === strategy && r.n === (strategy === 'serial' ? 1 : flatN));
      await box.stop();
      const small = await mailbox(FLAT_MESSAGES);
      try {
        const row = await timeFanout(bundle, small.account, join(dir, 'flat'), strategy, flatN, 'flat-');
        lines.push(
          '',
          `Fanout's own memory against mailbox size (${strategy}, N=${flatN}, full run):`,
          `| messages | MB | full (s) | peak RSS (MB) | peak heap (MB) | peak buffers (MB) |`,
          `|---|---|---|---|---|---|`,
          `| ${FLAT_MESSAGES} | ${(small.bytes / MB).toFixed(0)} | ${row.full.toFixed(2)} | ${mem(row.mem)} |`,
        );
        if (big) lines.push(`| ${MESSAGES} | ${(box.bytes / MB).toFixed(0)} | ${big.full.toFixed(2)} | ${mem(big.mem)} |`);
      } finally {
        await small.stop();
      }
    }
    await box.stop();
    if (INTEROP_SERVERS.length > 0) lines.push(...(await interop(bundle, dir)));
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    await box.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

interface Sample { full: number; again: number; rssMb: number; firstMs: number | null; startMs: number | null; cpuS: number | null; mainCpuS: number | null; againTimes?: AgainTimeline }

/**
 * Where a run with nothing new goes, ms: modules loaded (job start), first connection opened,
 * the job's summary in hand (everything on the wire done), and the process gone (its wall time).
 */
interface AgainTimeline { startMs: number; connectMs: number; endMs: number; exitMs: number; cpuS: number }

function againTimeline(r: (ChildReport & { processS: number }) | undefined): AgainTimeline | undefined {
  if (!r || r.jobStartMs === undefined || r.jobEndMs === undefined || r.firstConnectMs == null) return undefined;
  return { startMs: r.jobStartMs, connectMs: r.firstConnectMs, endMs: r.jobEndMs, exitMs: r.processS * 1000, cpuS: r.cpuUserS + r.cpuSystemS };
}

const range = (xs: number[], digits = 2) => {
  if (xs.length === 0) return '-';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  if (lo.toFixed(digits) === hi.toFixed(digits)) return lo.toFixed(digits);
  // With three or more rounds the median too: on a loaded machine the extremes are the load.
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return `${lo.toFixed(digits)}–${hi.toFixed(digits)}${xs.length >= 3 ? ` (${mid.toFixed(digits)})` : ''}`;
};

/**
 * The issue-10 targets: at each of BENCH_SIZES, BENCH_ROUNDS rounds of mbsync, Fanout adaptive at
 * N = 4 and N = 1 (and the BENCH_COMPARE_BUNDLE build at N = 4), interleaved so that the load of
 * the machine falls on all of them alike; each ratio is taken within its round, then shown as a range.
 */
async function targets(bundle: string, dir: string, sizes: number[], cli: string | null): Promise<string[]> {
  const lines: string[] = [];
  for (const size of sizes) {
    const box = await mailbox(size);
    const runs = new Map<string, Sample[]>();
    /** A run's output: kept until the benchmark's folder is removed (KEEP_OUTPUT), else deleted now. */
    const done = (path: string) => (KEEP_OUTPUT ? Promise.resolve() : rm(path, { recursive: true, force: true }));
    const ratios = new Map<string, { full: number[]; again: number[] }>();
    const add = (key: string, x: Sample, mb: Row | null) => {
      runs.set(key, [...(runs.get(key) ?? []), x]);
      if (!mb) return;
      const r = ratios.get(key) ?? { full: [], again: [] };
      r.full.push(x.full / mb.full);
      r.again.push(x.again / mb.again);
      ratios.set(key, r);
    };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const mb = WITH_MBSYNC ? await timeMbsync(join(dir, `mbsync-${size}-${round}`), box.proxy.port, box.srv.user, box.srv.password) : null;
        if (mb) add('mbsync', { full: mb.full, again: mb.again, rssMb: 0, firstMs: null, startMs: null, cpuS: null, mainCpuS: null }, null);
        await done(join(dir, `mbsync-${size}-${round}`));
        type Variant = [string, string, number, LaunchExtra?, string?];
        const variants: Variant[] = [
          ...TARGET_NS.map((n): Variant => [`fanout N=${n}`, bundle, n]),
          ...(cli ? CLI_NS.map((n): Variant => [`cli N=${n}`, bundle, n, undefined, cli]) : []),
          ...(COMPARE_CLI ? CLI_NS.map((n): Variant => [`cli before N=${n}`, bundle, n, undefined, COMPARE_CLI]) : []),
          ...(COMPARE_BUNDLE ? COMPARE_NS.map((n): Variant => [`before N=${n}`, COMPARE_BUNDLE, n, COMPARE_ENV]) : []),
          ...VARIANTS.flatMap(([label, extra]) => TARGET_NS.map((n): Variant => [`${label} N=${n}`, bundle, n, extra])),
        ];
        // Every other round runs them in the opposite order, so no row always follows the same one (the disk's state, the load).
        if (round % 2 === 1) variants.reverse();
        for (const [key, b, n, extra, viaCli] of variants) {
          const out = join(dir, `t-${size}-${round}-${key.replace(/[^A-Za-z0-9=]/g, '')}`);
          const row = await timeFanout(b, box.account, out, 'adaptive', n, `${size}-r${round}-${key.replace(/[ =]/g, '')}-`, extra, viaCli);
          if (row.messages !== size) throw new Error(`${key} archived ${row.messages} of ${size}`);
          const m = row.mem!;
          const sample: Sample = { full: row.full, again: row.again, rssMb: m.maxRssMb, firstMs: m.firstMessageMs ?? null, startMs: m.jobStartMs ?? null, cpuS: m.cpuUserS + m.cpuSystemS, mainCpuS: m.mainThreadCpuS ?? null, againTimes: againTimeline(row.againMem) };
          add(key, sample, mb);
          process.stderr.write(`${size} round ${round + 1} ${key}: full ${row.full.toFixed(2)} s (mbsync ${mb?.full.toFixed(2) ?? '-'}), nothing new ${row.again.toFixed(2)} s (mbsync ${mb?.again.toFixed(2) ?? '-'}), peak RSS ${m.maxRssMb.toFixed(0)} MB, job start ${sample.startMs?.toFixed(0) ?? '-'} ms, first connection ${m.firstConnectMs?.toFixed(0) ?? '-'} ms, first message ${sample.firstMs?.toFixed(0) ?? '-'} ms${m.firstConnectMs != null && sample.firstMs !== null ? ` (${(sample.firstMs - m.firstConnectMs).toFixed(0)} after it)` : ''}, CPU ${sample.cpuS?.toFixed(2) ?? '-'} s (user ${m.cpuUserS.toFixed(2)}, system ${m.cpuSystemS.toFixed(2)}; main thread ${sample.mainCpuS?.toFixed(2) ?? '-'} s)${m.gc ? `; GC ${m.gc.scavenges} scavenges ${m.gc.scavengeMs.toFixed(0)} ms, ${m.gc.markCompacts} Mark-Compacts ${m.gc.markCompactMs.toFixed(0)} ms` : ''}${m.writtenAtMs?.length ? `; written 10/50/90/100 % at ${[0, 4, 8, 9].map((i) => m.writtenAtMs![i]).join('/')} ms, last 10 % took ${(m.writtenAtMs[9]! - m.writtenAtMs[8]!).toFixed(0)} ms against ${((m.writtenAtMs[8]! - m.writtenAtMs[0]!) / 8).toFixed(0)} per 10 % before` : ''}${sample.againTimes ? `; nothing new: job start ${sample.againTimes.startMs.toFixed(0)}, connect ${sample.againTimes.connectMs.toFixed(0)}, done ${sample.againTimes.endMs.toFixed(0)}, exit ${sample.againTimes.exitMs.toFixed(0)} ms, CPU ${sample.againTimes.cpuS.toFixed(2)} s` : ''}\n`);
          await done(out);
        }
      }
    } finally {
      await box.stop();
    }
    lines.push(
      '',
      `${size} messages, ${(box.bytes / MB).toFixed(1)} MB (largest ${(box.largest / MB).toFixed(1)} MB), +${DELAY} ms each way, ${ROUNDS} interleaved round(s); ranges min–max`,
      '| tool | full (s) | nothing new (s) | full / mbsync | again / mbsync | peak RSS (MB) | job start (ms) | first message on disk (ms) | CPU full (s) | main thread (s) | nothing new: job start / connect / done (ms) |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const [key, xs] of runs) {
      const r = ratios.get(key);
      const fanout = key !== 'mbsync';
      lines.push(
        `| ${key} | ${range(xs.map((x) => x.full))} | ${range(xs.map((x) => x.again))} | ${r ? range(r.full) : '-'} | ${r ? range(r.again) : '-'} | ${fanout ? range(xs.map((x) => x.rssMb), 0) : '-'} | ${fanout ? range(xs.flatMap((x) => (x.startMs === null ? [] : [x.startMs])), 0) : '-'} | ${fanout ? range(xs.flatMap((x) => (x.firstMs === null ? [] : [x.firstMs])), 0) : '-'} | ${range(xs.flatMap((x) => (x.cpuS === null ? [] : [x.cpuS])))} | ${range(xs.flatMap((x) => (x.mainCpuS === null ? [] : [x.mainCpuS])))} | ${fanout ? `${range(xs.flatMap((x) => (x.againTimes ? [x.againTimes.startMs] : [])), 0)} / ${range(xs.flatMap((x) => (x.againTimes ? [x.againTimes.connectMs] : [])), 0)} / ${range(xs.flatMap((x) => (x.againTimes ? [x.againTimes.endMs] : [])), 0)}` : '-'} |`,
      );
    }
  }
  return lines;
}

if (SIZES) {
  const dir = await mkdtemp(join(tmpdir(), 'fanout-mail-bench-'));
  const bundle = await buildChild();
  const cli = CLI_NS.length > 0 ? await buildCliTree('mail-bench') : null;
  try {
    if (CPU_PROF) await mkdir(CPU_PROF, { recursive: true });
    process.stdout.write(`${(await targets(bundle, dir, SIZES, cli)).join('\n')}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(join(bundle, '..'), { recursive: true, force: true });
    if (cli) await rm(join(cli, '..', '..'), { recursive: true, force: true });
  }
} else await main();
