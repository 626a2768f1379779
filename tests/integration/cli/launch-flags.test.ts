/**
 * How `fanout` starts node (bin/relaunch.js): a long-running command runs in a re-launched node with
 * the heap flags (bin/node-flags.js), `--help` never starts a second node, the user's own flags win,
 * Ctrl-C (SIGINT to the launcher) cancels the job with exit 130, and killing the launcher leaves no
 * job behind. Every node start is observed through a preload (NODE_OPTIONS=--import) that records
 * its PID, parent and the heap limit V8 actually has.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUTENBERG_MALLOC_ENV, HEAP_FLAGS, MAIL_MALLOC_ENV, MALLOC_ENV, heapFlagsFor, heapFlagsOf, launchEnvFor } from '../../../bin/node-flags.js';
import { delay, generateMirror, startHttpServer, type GeneratedMirror, type HttpServer } from '../../harness';

const repo = resolve(__dirname, '../../..');
const bin = join(repo, 'bin', 'fanout.js');
const OURS_MB = Number(/--max-old-space-size=(\d+)/.exec(HEAP_FLAGS.join(' '))![1]);
const STALLED = 7;

interface Start {
  pid: number;
  ppid: number;
  heapLimitMb: number;
}

let dir = '';
let mirror: GeneratedMirror;
let http: HttpServer;
let catalog = '';
let preload = '';
let run = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-launch-'));
  mirror = await generateMirror(join(dir, 'mirror'), [
    { ebook: 5, files: ['-0.txt'] },
    { ebook: STALLED, files: ['-0.txt'], sizeBytes: 200_000 },
  ]);
  http = await startHttpServer({ root: mirror.root });
  catalog = join(dir, 'pg_catalog.csv');
  await writeFile(catalog, 'Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves\n5,Text,2000-01-01,"A",en,"B, C",F,PR,X\n7,Text,2000-01-01,"D",en,"E, F",F,PR,X\n');
  // Main threads only: the scrubber's worker threads run the preload too.
  preload = join(dir, 'record-start.mjs');
  await writeFile(
    preload,
    `import { appendFileSync } from 'node:fs'; import { isMainThread } from 'node:worker_threads'; import { getHeapStatistics } from 'node:v8';
if (isMainThread) appendFileSync(process.env.FANOUT_TEST_STARTS, JSON.stringify({ pid: process.pid, ppid: process.ppid, heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1048576) }) + '\\n');\n`,
  );
});

afterAll(async () => {
  await http?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts `node [nodeArgs] bin/fanout.js <args>` from the sources; resolves with its exit and the node starts it made. */
function fanout(args: string[], nodeOptions = '', env: Record<string, string> = {}, nodeArgs: string[] = []) {
  const starts = join(dir, `starts-${++run}.jsonl`);
  const child = spawn(process.execPath, [...nodeArgs, bin, ...args], {
    cwd: repo,
    env: { ...process.env, FANOUT_FROM_SOURCE: '1', FANOUT_TEST_STARTS: starts, NODE_OPTIONS: `--import=${pathToFileURL(preload).href} ${nodeOptions}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void exited.then(() => clearTimeout(timer));
  const readStarts = async (): Promise<Start[]> =>
    (await readFile(starts, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Start);
  return { child, exited, readStarts, stderr: () => stderr };
}

/** Bounded wait for something another process does (its progress cannot be awaited as an event). */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await delay(25)) {
    const v = await probe();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A process that exists and is not a zombie. */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/\) [ZX] /.test(stat);
}

const gutenberg = (out: string) => ['gutenberg', '--catalog', catalog, '--mirror', http.url, '--workers', '2', '--out', out, '--json'];

/** Starts a job held on its stalled book; resolves once that book's request has reached the mirror. */
async function stalledJob(out: string) {
  http.hooks.stallBody(`/${mirror.books.get(STALLED)!.files[0]!.relPath}`, 1000, { count: 1 });
  const job = fanout(gutenberg(out));
  await waitFor('the stalled book to be requested', () => (http.requests.some((r) => r.path.includes(`${STALLED}-0.txt`)) ? true : undefined));
  const starts = await waitFor('both node starts', async () => {
    const s = await job.readStarts();
    return s.length === 2 ? s : undefined;
  });
  return { job, launcher: starts[0]!, worker: starts[1]! };
}

describe.skipIf(process.platform !== 'linux')('fanout launch flags (bin/relaunch.js)', () => {
  it('small semi-spaces for mail and gutenberg (less memory; fewer main-thread mark-compacts over HTTP); the heap limit for every command', () => {
    expect(heapFlagsFor([], '', 'mail')).toEqual([...HEAP_FLAGS, '--max-semi-space-size=2']);
    // gutenberg: also an old generation grown to twice its live size before the next mark-compact.
    expect(heapFlagsFor([], '', 'gutenberg')).toEqual([...HEAP_FLAGS, '--max-semi-space-size=2', '--heap-growing-percent=100']);
    for (const command of ['lab', 'serve']) expect(heapFlagsFor([], '', command)).toEqual([...HEAP_FLAGS]);
    expect(heapFlagsFor([], '--max-semi-space-size=8', 'mail')).toEqual([...HEAP_FLAGS]); // the user's wins
    // gutenberg and mail keep the free top of their heaps up to 4 MB (a socket read's 64 KB block freed, then faulted in again);
    // mail also keeps blocks up to 4 MB in the heap (a message body's Buffer.concat), no fresh mapping each.
    expect(launchEnvFor('mail', {})).toEqual({ MALLOC_MMAP_THRESHOLD_: '4194304', MALLOC_TRIM_THRESHOLD_: '4194304', UV_THREADPOOL_SIZE: '32' });
    expect(launchEnvFor('mail', { UV_THREADPOOL_SIZE: '8' })).toEqual({ ...MAIL_MALLOC_ENV });
    expect(launchEnvFor('gutenberg', {})).toEqual({ ...MALLOC_ENV, MALLOC_TRIM_THRESHOLD_: '4194304' });
    expect(launchEnvFor('gutenberg', { MALLOC_TRIM_THRESHOLD_: '1' })).toEqual({ MALLOC_MMAP_THRESHOLD_: MALLOC_ENV.MALLOC_MMAP_THRESHOLD_ });
    for (const command of ['lab', 'serve']) expect(launchEnvFor(command, {})).toEqual({ ...MALLOC_ENV });
  });

  it('--help starts node once, with V8’s own heap limit', async () => {
    for (const args of [['--help'], ['gutenberg', '--help'], ['mail', '-h']]) {
      const r = fanout(args);
      expect((await r.exited).code, r.stderr()).toBe(0);
      const starts = await r.readStarts();
      expect(starts, args.join(' ')).toHaveLength(1);
      expect(starts[0]!.heapLimitMb).toBeGreaterThan(OURS_MB * 1.5);
    }
  });

  it('a job runs in a re-launched node with the heap limit; SIGINT to the launcher cancels it: exit 130, nothing left running', async () => {
    http.hooks.clear();
    const { job, launcher, worker } = await stalledJob(join(dir, 'out-sigint'));
    expect(launcher.pid).toBe(job.child.pid);
    expect(worker.ppid).toBe(launcher.pid);
    expect(worker.heapLimitMb).toBeGreaterThanOrEqual(OURS_MB);
    expect(worker.heapLimitMb).toBeLessThan(OURS_MB * 1.2);
    expect((await readFile(`/proc/${worker.pid}/cmdline`, 'utf8')).split('\0')).toEqual(expect.arrayContaining([...HEAP_FLAGS]));
    const environ = (await readFile(`/proc/${worker.pid}/environ`, 'utf8')).split('\0');
    expect(environ).toEqual(expect.arrayContaining(Object.entries(GUTENBERG_MALLOC_ENV).map(([k, v]) => `${k}=${v}`)));
    job.child.kill('SIGINT');
    const exit = await job.exited;
    expect(exit, job.stderr()).toEqual({ code: 130, signal: null });
    expect(job.stderr()).toContain('cancelling');
    expect(await alive(worker.pid)).toBe(false);
  }, 60_000);

  it('killing the launcher outright kills the job too (no orphan holding the output)', async () => {
    http.hooks.clear();
    const { job, worker } = await stalledJob(join(dir, 'out-sigkill'));
    job.child.kill('SIGKILL');
    expect((await job.exited).signal).toBe('SIGKILL');
    await waitFor('the re-launched node to be gone', async () => ((await alive(worker.pid)) ? undefined : true), 5_000);
  }, 60_000);

  it('the user’s own heap flag (NODE_OPTIONS) wins over ours', async () => {
    http.hooks.clear();
    const r = fanout(gutenberg(join(dir, 'out-user')), '--max-old-space-size=3000');
    expect((await r.exited).code, r.stderr()).toBe(0);
    const starts = await r.readStarts();
    expect(starts).toHaveLength(2);
    expect(starts[1]!.heapLimitMb).toBeGreaterThanOrEqual(3000);
    expect(starts[1]!.heapLimitMb).toBeLessThan(3600);
  }, 60_000);

  it('FANOUT_RELAUNCHED=1 turns the re-launch off, and the job runs to its end', async () => {
    http.hooks.clear();
    const r = fanout(gutenberg(join(dir, 'out-off')), '', { FANOUT_RELAUNCHED: '1' });
    expect((await r.exited).code, r.stderr()).toBe(0);
    expect(await r.readStarts()).toHaveLength(1);
  }, 60_000);

  it('given every flag and malloc setting already, it does not re-launch', async () => {
    http.hooks.clear();
    // NODE_OPTIONS takes only the V8 flags node lists (not --heap-growing-percent): the others on node's command line.
    const [options, args] = [heapFlagsOf('gutenberg').filter((f) => !f.startsWith('--heap-growing')), heapFlagsOf('gutenberg').filter((f) => f.startsWith('--heap-growing'))];
    const r = fanout(gutenberg(join(dir, 'out-all-set')), options.join(' '), { ...GUTENBERG_MALLOC_ENV }, args);
    expect((await r.exited).code, r.stderr()).toBe(0);
    const starts = await r.readStarts();
    expect(starts).toHaveLength(1);
    expect(starts[0]!.heapLimitMb).toBeLessThan(OURS_MB * 1.2);
  }, 60_000);
});
