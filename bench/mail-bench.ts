/**
 * `npm run bench:mail` (tsx bench/mail-bench.ts): Fanout's mail archiver against mbsync (Debian
 * isync, `Sync Pull`, `CopyArrivalDate yes`, one pipelined connection) on the same Dovecot mailbox,
 * behind a latency proxy adding BENCH_DELAY_MS (25) each way. Each strategy at each N, full and
 * then again with nothing new; prints the table, Fanout/mbsync ratios and peak RSS. Not a test.
 *
 * Env: BENCH_MESSAGES (5000), BENCH_NS (1,2,4,8), BENCH_STRATEGIES (serial,queue,split,adaptive),
 * BENCH_DELAY_MS (25), BENCH_TARGET_MB (220).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Strategy } from '../shared/strategy';
import type { MailAccount } from '../shared/job-spec';
import { createJobControl } from '../electron/engine/core/job-control';
import { runMailJob } from '../electron/engine/mail/run-mail-job';
import { startDovecot } from '../tests/harness/dovecot';
import { makeMessage, rng } from '../tests/harness/dovecot-fill';
import { startHarnessProcess } from './harness-process';

const run = promisify(execFile);
const env = (k: string, d: string) => process.env[k] ?? d;
const MESSAGES = Number(env('BENCH_MESSAGES', '5000'));
const NS = env('BENCH_NS', '1,2,4,8').split(',').map(Number);
const STRATEGIES = env('BENCH_STRATEGIES', 'serial,queue,split,adaptive').split(',') as Strategy[];
const DELAY = Number(env('BENCH_DELAY_MS', '25'));
const TARGET_BYTES = Number(env('BENCH_TARGET_MB', '220')) * 1024 * 1024;

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
  // Scale attachments so the total comes near the target.
  const base = n * 3000;
  const att = sizes.reduce((a, b) => a + b, 0);
  const k = att > 0 ? Math.max(0.1, (TARGET_BYTES - base) / (att * 1.35)) : 1;
  return sizes.map((s) => Math.round(s * k));
}

async function fill(srv: Awaited<ReturnType<typeof startDovecot>>): Promise<number> {
  const sizes = messageSizes(MESSAGES);
  const folders = ['INBOX', 'Sent', 'Archive'];
  const clients = await Promise.all(folders.map(() => srv.connect()));
  let bytes = 0;
  await Promise.all(
    folders.map(async (folder, fi) => {
      const c = clients[fi]!;
      if (folder !== 'INBOX') await c.mailboxCreate(folder).catch(() => undefined);
      const rand = rng(100 + fi);
      for (let i = fi; i < MESSAGES; i += folders.length) {
        const date = new Date(Date.UTC(2010, 0, 1) + Math.floor(rand() * 14 * 365 * 86400) * 1000);
        const msg = makeMessage(i, date, sizes[i]!, rand);
        bytes += msg.length;
        await c.append(folder, msg, rand() < 0.7 ? ['\\Seen'] : [], date);
      }
      await c.logout();
    }),
  );
  return bytes;
}

interface Row { tool: string; strategy: string; n: number; full: number; again: number; peakRssMb: number; messages: number }

async function timeFanout(account: MailAccount, out: string, strategy: Strategy, n: number): Promise<Row> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const spec = { kind: 'mail' as const, account, outDir: out, connections: n, strategy };
    let t = performance.now();
    const s1 = await runMailJob(spec, createJobControl());
    const full = (performance.now() - t) / 1000;
    if (s1.status !== 'succeeded') throw new Error(`fanout ${strategy} N=${n}: ${s1.status} ${JSON.stringify(s1.failures.slice(0, 3))}`);
    t = performance.now();
    const s2 = await runMailJob(spec, createJobControl());
    const again = (performance.now() - t) / 1000;
    if (s2.itemsDone !== 0) throw new Error('second run fetched messages');
    return { tool: 'fanout', strategy, n, full, again, peakRssMb: peak / 1048576, messages: s1.itemsDone };
  } finally {
    clearInterval(timer);
  }
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
        const text = (await import('node:fs/promises')).readFile(rc, 'utf8');
        await writeFile(rc, (await text).replace('TLSType None', 'SSLType None'));
        return run('mbsync', ['-c', rc, '-q', 'bench'], { maxBuffer: 16 << 20 });
      }
      throw err;
    });
    return (performance.now() - t) / 1000;
  };
  const full = await once();
  const again = await once();
  return { tool: 'mbsync', strategy: '-', n: 1, full, again, peakRssMb: NaN, messages: MESSAGES };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fanout-mail-bench-'));
  const srv = await startDovecot({ maxUserIpConnections: 64 });
  const proxy = await startHarnessProcess({ kind: 'proxy', options: { targetPort: srv.port, delayMs: DELAY } });
  try {
    let t = performance.now();
    const bytes = await fill(srv);
    process.stderr.write(`filled ${MESSAGES} messages, ${(bytes / 1048576).toFixed(1)} MB in ${((performance.now() - t) / 1000).toFixed(1)} s; proxy +${DELAY} ms each way\n`);
    const account: MailAccount = { host: '127.0.0.1', port: proxy.port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'password', password: srv.password } };
    const rows: Row[] = [];
    t = performance.now();
    const mb = await timeMbsync(join(dir, 'mbsync'), proxy.port, srv.user, srv.password).catch((err: Error) => {
      process.stderr.write(`mbsync failed: ${err.message}\n`);
      return null;
    });
    if (mb) rows.push(mb);
    for (const strategy of STRATEGIES) {
      for (const n of strategy === 'serial' ? [1] : NS) {
        const out = join(dir, `fanout-${strategy}-${n}`);
        const row = await timeFanout(account, out, strategy, n);
        rows.push(row);
        process.stderr.write(`fanout ${strategy} N=${n}: full ${row.full.toFixed(2)} s, nothing new ${row.again.toFixed(2)} s, peak RSS ${row.peakRssMb.toFixed(0)} MB\n`);
        await rm(out, { recursive: true, force: true });
      }
    }
    const lines = [`| tool | strategy | N | full (s) | nothing new (s) | full / mbsync | again / mbsync | peak RSS (MB) |`, `|---|---|---|---|---|---|---|---|`];
    for (const r of rows) {
      const rf = mb ? (r.full / mb.full).toFixed(2) : '-';
      const ra = mb ? (r.again / mb.again).toFixed(2) : '-';
      lines.push(`| ${r.tool} | ${r.strategy} | ${r.n} | ${r.full.toFixed(2)} | ${r.again.toFixed(2)} | ${rf} | ${ra} | ${Number.isNaN(r.peakRssMb) ? '-' : r.peakRssMb.toFixed(0)} |`);
    }
    process.stdout.write(`\n${MESSAGES} messages, ${(bytes / 1048576).toFixed(1)} MB, +${DELAY} ms each way\n${lines.join('\n')}\n`);
  } finally {
    proxy.stop();
    await srv.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
