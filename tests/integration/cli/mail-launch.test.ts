/**
 * `fanout mail` decides in its first node whether it needs node's launch settings (bin/relaunch.js
 * `commandDecides`, electron/engine/mail/quick-decision.ts): a run with messages to fetch (a first
 * run, new mail) re-launches node with the heap flags and mail's thread pool as before; a run with
 * nothing new, a refused login and `--list-folders` end in the first node, with the same output and
 * exit code as a re-launched run. Runs the CLI as installed (bin/ and a bundle of this checkout's
 * sources in out/cli/) against Dovecot through a relay that records each connection's commands;
 * every node start is recorded by a preload (NODE_OPTIONS=--import).
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../../../build/cli-bundle.mjs';
import { HEAP_FLAGS } from '../../../bin/node-flags.js';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { startCommandRelay, type CommandRelay } from '../mail/command-relay';
import { openMailTestBed, type MailTestBed } from '../mail/mail-test-bed';

const repo = resolve(__dirname, '../../..');
const OURS_MB = Number(/--max-old-space-size=(\d+)/.exec(HEAP_FLAGS.join(' '))![1]);

interface Start {
  pid: number;
  ppid: number;
  heapLimitMb: number;
  threadPool: string | null;
  listedWithWork: string | null;
  /** The CLI's entry points this node loaded, in order (index, mail-early). */
  loaded: string[];
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  starts: Start[];
  /** The commands of each connection the run made to the server. */
  sessions: string[][];
}

let tree = '';
let bed: MailTestBed<DovecotServer>;
let relay: CommandRelay;
let preload = '';
let runs = 0;

beforeAll(async () => {
  // The CLI as installed: bin/ beside out/cli/, inside the repository so that the externals resolve.
  const cache = join(repo, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  tree = await mkdtemp(join(cache, 'fanout-mail-launch-'));
  await mkdir(join(tree, 'bin'));
  for (const f of ['fanout.js', 'relaunch.js', 'node-flags.js']) await copyFile(join(repo, 'bin', f), join(tree, 'bin', f));
  await copyFile(join(repo, 'package.json'), join(tree, 'package.json'));
  await bundleCli(repo, join(tree, 'out', 'cli'));
  bed = await openMailTestBed(() => startDovecot(), { tmpPrefix: 'fanout-mail-launch-', folders: [{ path: 'INBOX', count: 5 }, { path: 'Archive', count: 3 }] });
  relay = await startCommandRelay(bed.srv.port);
  preload = join(bed.base, 'record-start.mjs');
  await writeFile(
    preload,
    `import { appendFileSync } from 'node:fs'; import { isMainThread } from 'node:worker_threads'; import { getHeapStatistics } from 'node:v8';
if (isMainThread) appendFileSync(process.env.FANOUT_TEST_STARTS, JSON.stringify({ pid: process.pid, ppid: process.ppid, heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1048576), threadPool: process.env.UV_THREADPOOL_SIZE ?? null, listedWithWork: process.env.FANOUT_MAIL_LISTED_WITH_WORK ?? null }) + '\\n');
if (isMainThread) (await import('node:module')).register(${JSON.stringify(pathToFileURL(join(bed.base, 'record-loads.mjs')).href)});\n`,
  );
  // Each node's loads of the CLI's entry points (out/cli/index.js, mail-early.js), as "<pid> <name>" lines.
  await writeFile(
    join(bed.base, 'record-loads.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  const m = /\\/out\\/cli\\/(index|mail-early)\\.js$/.exec(url);
  if (m) appendFileSync(process.env.FANOUT_TEST_STARTS + '.loads', process.pid + ' ' + m[1] + '\\n');
  return next(url, context);
}\n`,
  );
}, 120_000);

afterAll(async () => {
  await relay?.stop();
  await bed?.stop();
  if (tree) await rm(tree, { recursive: true, force: true });
});

/** `fanout mail <args>` through the relay, as a user starts it; FANOUT_RELAUNCHED in `env` turns the re-launch off. */
async function fanoutMail(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const starts = join(bed.base, `starts-${++runs}.jsonl`);
  relay.sessions.length = 0;
  const child = spawn(process.execPath, [join(tree, 'bin', 'fanout.js'), 'mail', '--host', '127.0.0.1', '--port', String(relay.port), '--tls', 'none', '--user', bed.srv.user, '--password-env', 'TEST_IMAP_PASSWORD', ...args], {
    env: { ...process.env, TEST_IMAP_PASSWORD: bed.srv.password, FANOUT_TEST_STARTS: starts, NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  clearTimeout(timer);
  const lines = (await readFile(starts, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const loads = (await readFile(`${starts}.loads`, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => l.split(' '));
  const startsWithLoads = lines.map((l) => JSON.parse(l) as Start).map((st) => ({ ...st, loaded: loads.filter(([pid]) => Number(pid) === st.pid).map(([, name]) => name!) }));
  return { code, stdout, stderr, starts: startsWithLoads, sessions: relay.sessions.map((s) => [...s]) };
}

/** The JSON summary without what differs from run to run (ids, clocks, busy shares). */
function summaryOf(stdout: string): Record<string, unknown> {
  const s = JSON.parse(stdout) as Record<string, unknown>;
  for (const k of ['jobId', 'wallMs', 'throughput', 'workerBusy', 'startedAt', 'finishedAt']) delete s[k];
  return s;
}

/** stderr without its times and busy shares (the tallies and any warnings stay). */
const textOf = (stderr: string) => stderr.replace(/\d+(\.\d+)?\s*(ms|s|KB\/s|MB\/s|kB\/s|B\/s|msg\/s)\b/g, 'T').replace(/#(\d+) \d+%/g, '#$1 P');

const isQuick = (session: string[]) => session.join(' ') === 'LOGIN LIST LOGOUT';

describe.skipIf(process.platform !== 'linux')('fanout mail: the re-launch only for a run with messages to fetch', () => {
  it('a first run re-launches node with the heap limit and the thread pool, and fetches everything', async () => {
    const r = await fanoutMail(['--out', bed.out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ status: 'succeeded', itemsDone: 8 });
    expect(r.starts).toHaveLength(2);
    const [launcher, worker] = r.starts;
    expect(worker!.ppid).toBe(launcher!.pid);
    expect(worker!.heapLimitMb).toBeLessThan(OURS_MB * 1.2);
    expect(worker!.threadPool).toBe('32');
    // No archive yet: nothing is listed the quick way, in either node, and the first node re-launched
    // from the command line alone, without loading the CLI (commander, zod, the command).
    expect(r.sessions.some(isQuick)).toBe(false);
    expect(launcher!.loaded).toEqual(['mail-early']);
    expect(worker!.loaded).toEqual(['index']);
  }, 120_000);

  it('nothing new: one node, one quick session; the same summary, stderr and exit code as a re-launched run', async () => {
    const here = await fanoutMail(['--out', bed.out, '--json']);
    expect(here.code, here.stderr).toBe(0);
    expect(here.starts).toHaveLength(1);
    expect(here.starts[0]!.heapLimitMb).toBeGreaterThan(OURS_MB * 1.5);
    expect(here.sessions).toEqual([['LOGIN', 'LIST', 'LOGOUT']]);
    // The listing started before the CLI loaded (mail-early), and the CLI took it up (one session).
    expect(here.starts[0]!.loaded).toEqual(['mail-early', 'index']);
    const relaunched = await fanoutMail(['--out', bed.out, '--json'], { FANOUT_RELAUNCHED: '1' });
    expect(relaunched.code).toBe(0);
    expect(summaryOf(here.stdout)).toEqual(summaryOf(relaunched.stdout));
    expect(summaryOf(here.stdout)).toMatchObject({ status: 'succeeded', itemsDone: 0, itemsSkipped: 8 });
    expect(here.stderr).toBe(relaunched.stderr);
    // Without --json: the tallies on stderr, alike.
    const text = await fanoutMail(['--out', bed.out]);
    const textRelaunched = await fanoutMail(['--out', bed.out], { FANOUT_RELAUNCHED: '1' });
    expect(text.code).toBe(0);
    expect(text.starts).toHaveLength(1);
    expect(textOf(text.stderr)).toBe(textOf(textRelaunched.stderr));
    expect(text.stdout).toBe(textRelaunched.stdout);
  }, 120_000);

  it('new mail: the first node lists the quick way, then re-launches; the re-launched node goes straight to the full path', async () => {
    await bed.admin.append('INBOX', 'From: a@example.com\r\nSubject: new\r\nMessage-ID: <launch-new@example.com>\r\n\r\nnew\r\n', []);
    const r = await fanoutMail(['--out', bed.out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ status: 'succeeded', itemsDone: 1, itemsSkipped: 8 });
    expect(r.starts).toHaveLength(2);
    expect(r.starts[1]!.heapLimitMb).toBeLessThan(OURS_MB * 1.2);
    expect(r.starts[1]!.threadPool).toBe('32');
    expect(r.starts[1]!.listedWithWork).toBe('1');
    // One quick session (the first node's), then the full path's: the listing is not made twice.
    expect(r.sessions[0]).toEqual(['LOGIN', 'LIST', 'LOGOUT']);
    expect(r.sessions.slice(1).some(isQuick)).toBe(false);
    expect(r.sessions.length).toBeGreaterThan(1);
  }, 120_000);

  it('a refused login ends in the first node: AUTH_FAILED, exit 1, one LOGIN (not tried twice)', async () => {
    const r = await fanoutMail(['--out', bed.out, '--json'], { TEST_IMAP_PASSWORD: 'wrong' });
    const relaunched = await fanoutMail(['--out', bed.out, '--json'], { TEST_IMAP_PASSWORD: 'wrong', FANOUT_RELAUNCHED: '1' });
    expect(r.code).toBe(1);
    expect(relaunched.code).toBe(1);
    expect(r.starts).toHaveLength(1);
    expect(r.sessions.flat().filter((c) => c === 'LOGIN')).toHaveLength(1);
    expect(summaryOf(r.stdout)).toEqual(summaryOf(relaunched.stdout));
    expect(r.stderr).toBe(relaunched.stderr);
    expect(r.stderr).toContain('AUTH_FAILED');
  }, 120_000);

  // Dovecot's LIST may add \Marked to a folder ("new mail since it was last looked at", RFC 3501;
  // Dovecot judges it from the maildir's state at that moment, how exactly was not looked into): two
  // listings a moment apart may differ in it, as seen under load (s17) and reproduced at s18 with
  // three busy cores (the first node's listing without it on Archive, the re-launched one's with it,
  // 3 of 3). It is the server's passing hint, not the folder: the outputs are compared without it.
  const steady = (json: string) => JSON.stringify((JSON.parse(json) as { flags: string[] }[]).map((f) => ({ ...f, flags: f.flags.filter((x) => !/^\\(Marked|Unmarked)$/i.test(x)) })));
  it('--list-folders runs in the first node, with the same output', async () => {
    const r = await fanoutMail(['--list-folders', '--json']);
    const relaunched = await fanoutMail(['--list-folders', '--json'], { FANOUT_RELAUNCHED: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(relaunched.code, relaunched.stderr).toBe(0);
    expect(r.starts).toHaveLength(1);
    expect(steady(r.stdout)).toBe(steady(relaunched.stdout));
    expect(r.stderr).toBe(relaunched.stderr);
  }, 120_000);
});
