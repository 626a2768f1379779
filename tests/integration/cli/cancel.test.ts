/**
 * --limit-rate from the CLI, and Ctrl-C (SIGINT) during a job whose bytes wait for the cap: the job
 * is cancelled, its summary printed, exit 130, no book it did not finish looks complete, and the
 * re-run finishes them. Before the fix the bytes held by the bandwidth cap waited on a timer that
 * does not keep node alive: once nothing else did (an HTTP body received whole leaves its socket
 * idle, and undici unrefs it), node ran out of work with the job pending and ended with its own
 * exit code 13 (unsettled top-level await), no summary: mid-job, with or without a Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delay, generateMirror, sha256, startFtpServer, startHttpServer, type FtpServer, type GeneratedMirror, type HttpServer } from '../../harness';
import { runProcess } from '../../harness/fanout-cli';
import { bundleCli } from '../../../build/cli-bundle.mjs';

const repo = resolve(__dirname, '../../..');
const BOOKS = [11, 12, 13, 14, 15, 16];

let dir = '';
let mirror: GeneratedMirror;
let http: HttpServer;
let ftp: FtpServer;
let catalog = '';
/** The CLI as `npm run build` bundles it (with the scrubber's worker entry points), built from the sources. */
let bundleDir = '';
let cli = '';

beforeAll(async () => {
  const cache = join(repo, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  bundleDir = await mkdtemp(join(cache, 'fanout-cancel-cli-'));
  await bundleCli(repo, bundleDir);
  cli = join(bundleDir, 'index.js');
  dir = await mkdtemp(join(tmpdir(), 'fanout-cancel-'));
  // 300 kB each at 20 kB/s: the job would run for ~90 s; it is cancelled after its first progress line.
  mirror = await generateMirror(join(dir, 'mirror'), BOOKS.map((ebook) => ({ ebook, files: ['-0.txt'], sizeBytes: 300_000 })));
  http = await startHttpServer({ root: mirror.root });
  ftp = await startFtpServer({ root: mirror.root });
  catalog = join(dir, 'cat.csv');
  await writeFile(catalog, ['author,FileNumber,Title', ...BOOKS.map((n) => `Anon,${n},Book ${n}`)].join('\n') + '\n');
}, 120_000);

afterAll(async () => {
  await http?.stop();
  await ftp?.stop();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Stopped = { code: number | null; signal: NodeJS.Signals | null; stderr: string };

/**
 * Runs the built CLI (no re-launch: the job runs in this node) and sends SIGINT `afterMs` after
 * `ready(stderr)` holds (bounded, ~60 s: a CLI that never gets there fails the test with its stderr);
 * returns its exit and stderr.
 */
async function interruptWhen(args: string[], ready: (stderr: string) => boolean, afterMs = 0): Promise<Stopped> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: repo, env: { ...process.env, FANOUT_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 6000 && !gone && !ready(stderr); i++) await delay(10);
  if (afterMs > 0) await delay(afterMs);
  child.kill('SIGINT');
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exit = await exited;
  clearTimeout(killer);
  return { ...exit, stderr };
}

/**
 * SIGINT once the CLI printed its first progress line and a book's bytes are on disk (a .part in
 * raw/: bytes are then waiting for the cap). The progress line alone could come before any byte was
 * written (at load ~20): the cancelled job then tidied its empty raw/ away (a folder it made, empty)
 * and the test's readdir of raw/ failed ENOENT.
 */
const cancelAfterProgress = (args: string[], out: string): Promise<Stopped> =>
  interruptWhen(args, (stderr) => /^\d+(\.\d+)? s: /m.test(stderr) && partsIn(join(out, 'raw')));

function partsIn(dir: string): boolean {
  try {
    return readdirSync(dir).some((n) => n.endsWith('.part'));
  } catch {
    return false;
  }
}

/**
 * SIGINT 60 ms after `file` appears. The book is handed to the scrubber just after its rename, and
 * the job must still be cleaning it when the signal comes, on a quiet machine too: a big book
 * (64 MB; with 24 MB and 100 ms the job could end first).
 */
const cancelAfterFile = (args: string[], file: string): Promise<Stopped> => interruptWhen(args, () => existsSync(file), 60);

describe('fanout gutenberg: --limit-rate from the CLI', () => {
  it('http: a capped job runs to its end (it ended mid-job with exit code 13, nothing printed)', async () => {
    const out = join(dir, 'out-capped');
    const r = await runProcess(process.execPath, [cli, 'gutenberg', '--catalog', catalog, '--mirror', http.url, '--out', out, '--ids', '11,12', '--limit-rate', '100k', '--json'], { cwd: repo, env: { ...process.env, FANOUT_DEBUG: '' }, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'succeeded', itemsDone: 2 });
  }, 180_000);
});

describe('fanout gutenberg: Ctrl-C while a landed book is being cleaned, then the re-run', () => {
  it('http: the cancelled run counts it neither done nor failed; the re-run adopts its raw file (no request), byte-exact, reconciled', async () => {
    const dirBig = join(dir, 'big');
    const BIG = 41;
    const BIG_BYTES = 64_000_000;
    const books = [BIG, 42, 43];
    // The big book takes the scrubber a while: Ctrl-C comes once its raw file is landed, while it is cleaned.
    const m = await generateMirror(join(dirBig, 'mirror'), [{ ebook: BIG, files: ['-0.txt'], sizeBytes: BIG_BYTES }, ...[42, 43].map((ebook) => ({ ebook, files: ['-0.txt' as const], sizeBytes: 300_000 }))]);
    const server = await startHttpServer({ root: m.root });
    try {
      const cat = join(dirBig, 'cat.csv');
      await writeFile(cat, ['author,FileNumber,Title', ...books.map((n) => `Anon,${n},Book ${n}`)].join('\n') + '\n');
      const out = join(dirBig, 'out');
      const args = ['gutenberg', '--catalog', cat, '--mirror', server.url, '--out', out, '--workers', '1', '--strategy', 'queue'];
      const r = await cancelAfterFile(args, join(out, 'raw', `${BIG}-0.txt`));
      expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 130, signal: null });
      const m1 = /^CANCELLED: (\d+) books done/m.exec(r.stderr);
      expect(m1, r.stderr).not.toBeNull();
      expect(r.stderr).not.toMatch(/ABORTED/);
      const lines = (await readFile(join(out, 'manifest.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { ebook: number; status: string });
      expect(lines.filter((l) => l.status !== 'ok'), 'failed lines after a cancel').toEqual([]);
      expect(lines.some((l) => l.ebook === BIG), 'a line for the book being cleaned').toBe(false);
      expect(sha256(await readFile(join(out, 'raw', `${BIG}-0.txt`)))).toBe(m.books.get(BIG)!.files[0]!.sha256);
      server.requests.length = 0;
      const again = await runProcess(process.execPath, [cli, ...args, '--json'], { cwd: repo, env: { ...process.env, FANOUT_DEBUG: '' }, timeoutMs: 120_000 });
      expect(again.code, again.stderr).toBe(0);
      const summary = JSON.parse(again.stdout) as { status: string; itemsDone: number; itemsSkipped: number; itemsFailed: number; itemsTotal: number };
      expect(summary).toMatchObject({ status: 'succeeded', itemsFailed: 0, itemsTotal: books.length, itemsSkipped: lines.length });
      expect(summary.itemsDone + summary.itemsSkipped).toBe(books.length);
      expect(server.requests.filter((q) => q.path.includes(`/${BIG}/`)), 'requests for the adopted book').toEqual([]);
      for (const ebook of books) expect(sha256(await readFile(join(out, 'raw', `${ebook}-0.txt`))), String(ebook)).toBe(m.books.get(ebook)!.files[0]!.sha256);
      const verify = await runProcess(process.execPath, [cli, 'verify', 'corpus', out], { cwd: repo, env: { ...process.env, FANOUT_DEBUG: '' }, timeoutMs: 120_000 });
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    } finally {
      await server.stop();
    }
  }, 180_000);
});

describe('fanout gutenberg: Ctrl-C with --limit-rate', () => {
  for (const via of ['http', 'ftp'] as const) {
    it(`${via}: cancels, prints the summary, exits 130; the books not finished are only .part files`, async () => {
      const out = join(dir, `out-${via}`);
      const url = via === 'http' ? http.url : ftp.url;
      const r = await cancelAfterProgress(['gutenberg', '--catalog', catalog, '--mirror', url, '--out', out, '--workers', '2', '--limit-rate', '20k'], out);
      expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 130, signal: null });
      expect(r.stderr).toContain('cancelling');
      expect(r.stderr).toMatch(/^CANCELLED: \d+ books done/m);
      const done = Number(/^CANCELLED: (\d+) books done/m.exec(r.stderr)![1]);
      expect(done).toBeLessThan(BOOKS.length);
      // A raw file under its final name is whole (a book received whole may land though the cancel
      // stopped it before cleaning); the rest are .part files, which a re-run resumes.
      for (const name of await readdir(join(out, 'raw'))) {
        if (name.endsWith('.part') || name.endsWith('.meta')) continue;
        const book = mirror.books.get(Number(/^\d+/.exec(name)![0]))!;
        expect(sha256(await readFile(join(out, 'raw', name))), name).toBe(book.files[0]!.sha256);
      }
      // The re-run (no cap) finishes every book, and they are what the mirror holds.
      const again = await runProcess(process.execPath, [cli, 'gutenberg', '--catalog', catalog, '--mirror', url, '--out', out, '--json'], { cwd: repo, env: { ...process.env, FANOUT_DEBUG: '' }, timeoutMs: 120_000 });
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ status: 'succeeded', itemsDone: BOOKS.length - done, itemsSkipped: done });
      for (const ebook of BOOKS) {
        expect(sha256(await readFile(join(out, 'raw', `${ebook}-0.txt`))), String(ebook)).toBe(mirror.books.get(ebook)!.files[0]!.sha256);
      }
    }, 180_000);
  }
});
