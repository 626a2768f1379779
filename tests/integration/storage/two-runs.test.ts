/**
 * Two processes on one output folder, and a run killed with SIGKILL: the real CLI, from the
 * TypeScript sources. The second run is refused at once naming the first; the run after a SIGKILL
 * takes the dead run's lock over, resumes, and ends with every book byte-exact.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../../electron/engine/gutenberg/manifest-store';
import { LOCK_FILE } from '../../../electron/engine/output/output-lock';
import { tempPathFor } from '../../../electron/engine/output/atomic-file';
import { defaultRunners } from '../../../electron/engine/jobs/default-runners';
import { JobManager } from '../../../electron/engine/jobs/job-manager';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { delay, type MirrorBookSpec } from '../../harness';
import { CLI_FROM_SOURCE_TEST_MS } from '../../harness/fanout-cli';
import { EAGER_META_BYTES } from '../../../electron/engine/mirror/book-sink';
import { BOOKS, startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';
import { expectAllBooksExact, expectNothingFalselyDone } from './storage-check';

const repo = resolve(__dirname, '../../..');
const bin = join(repo, 'bin', 'fanout.js');
const env = { ...process.env, FANOUT_FROM_SOURCE: '1' };

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture(books);
});
afterAll(async () => {
  await fx?.cleanup();
});

function args(out: string, extra: string[] = []): string[] {
  return ['gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--workers', '2', '--strategy', 'queue', '--out', out, '--json', ...extra];
}

function fanout(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...argv], { cwd: repo, env, timeout: 60_000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function start(argv: string[]): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [bin, ...argv], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, stderr: () => err };
}

/** Bounded wait for a condition on disk (another process's progress cannot be awaited as an event). */
async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    if (await cond()) return;
    await delay(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The lock's owner once the run has written it (it is created, then written). */
async function lockOwner(out: string): Promise<{ pid: number; since: string }> {
  let owner: { pid: number; since: string } | null = null;
  await waitFor('the run to take the lock', async () => {
    // Absent, or created and not yet written (empty, or cut mid-write): not taken yet. A parse error
    // thrown inside then() is not caught by its second callback, hence the try.
    const text = await readFile(join(out, LOCK_FILE), 'utf8').catch(() => '');
    try {
      owner = JSON.parse(text) as { pid: number; since: string };
    } catch {
      owner = null;
    }
    return owner !== null;
  });
  return owner!;
}

/** A live process's parent PID (Linux /proc), or null once it is gone. */
async function parentOf(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return stat === '' || fields[0] === 'Z' ? null : Number(fields[1]);
}

/** The URL path of a book's preferred file on the mirror. */
const bookPath = (ebook: number) => `/${fx.mirror.books.get(ebook)!.files[0]!.relPath}`;
const STALLED = 2009;
/**
 * A book past the size a run holds in memory until its end (BookSink, EAGER_META_BYTES): its bytes go to
 * the `.part` as they come, so a killed run leaves them to resume from. A smaller one's are held since
 * b7c1327 and a killed run leaves an empty `.part`, restarted as a short one was.
 */
const LARGE = 2100;
const books: MirrorBookSpec[] = [...BOOKS, { ebook: LARGE, files: ['-0.txt'], title: 'Large', sizeBytes: EAGER_META_BYTES + 1_000_000 }];

describe('two runs on one output folder', () => {
  it('the second run is refused at once, naming the folder and the first run (PID, since); the first finishes whole', async () => {
    const out = join(fx.dir, 'two-runs');
    // The first run is held on one book until the second has been refused, so it is surely running
    // when the second starts. It was held until its 4 s timeout: under load (two busy loops + two vitest
    // runs) the second, a CLI started from the sources, took longer to reach the lock, found the first
    // gone and ran the job itself ('failed: 1005 Missing Book', no OUTPUT_LOCKED).
    fx.http.hooks.stallBody(bookPath(STALLED), 1000, { count: 1 });
    const first = start(args(out, ['--timeout', '120000', '--attempts', '3']));
    try {
      const owner = await lockOwner(out);
      // The lock names the process doing the work: `fanout gutenberg` runs in a node re-launched by the one started (bin/relaunch.js).
      expect(await parentOf(owner.pid)).toBe(first.child.pid);
      const second = await fanout(args(out));
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain('OUTPUT_LOCKED');
      expect(second.stderr).toContain(out);
      expect(second.stderr).toContain(`process ${owner.pid}`);
      expect(second.stderr).toContain(owner.since);
      expect(second.stderr).not.toMatch(/\n\s+at /);
      // The same from a desktop / web host process (the job manager behind both), beside the CLI run.
      const manager = new JobManager({ dataDir: join(fx.dir, 'host-data'), runners: defaultRunners() });
      const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: fx.http.url, outDir: out });
      const hosted = await manager.start(spec).done;
      expect(hosted.status).toBe('failed');
      expect(hosted.failures.map((f) => [f.item, f.error.code])).toEqual([['(job)', 'OUTPUT_LOCKED']]);
      expect(hosted.failures[0]!.error.message).toContain(`process ${owner.pid}`);
      // Still running, held on the stalled book: released, it sends the rest and the first run finishes.
      expect(first.child.exitCode).toBe(null);
      fx.http.hooks.releaseStalls();
      expect(await first.exited).toBe(1); // the one missing book
    } finally {
      first.child.kill('SIGKILL');
      fx.http.hooks.clear();
    }
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    await expectAllBooksExact(out, fx.mirror, books);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('a run killed with SIGKILL leaves nothing falsely done; the next run takes its lock over, resumes and ends byte-exact', async () => {
    const out = join(fx.dir, 'sigkill');
    fx.http.hooks.stallBody(bookPath(LARGE), EAGER_META_BYTES + 20_000, { count: 5 });
    const first = start(args(out, ['--timeout', '60000']));
    let partBytes = 0;
    let ownerPid = 0;
    try {
      ownerPid = (await lockOwner(out)).pid;
      await waitFor('some books done and the stalled one partly on disk', async () => {
        const done = [...(await readManifest(out).catch(() => new Map())).values()].filter((e) => e.status === 'ok').length;
        const parts = await readdir(join(out, 'raw')).catch(() => [] as string[]);
        const part = parts.find((n) => n.startsWith(`${LARGE}`) && n.endsWith('.part'));
        partBytes = part ? (await stat(join(out, 'raw', part))).size : 0;
        return done >= 3 && partBytes > EAGER_META_BYTES;
      }, 90_000);
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe(null);
    } finally {
      first.child.kill('SIGKILL');
      fx.http.hooks.clear();
    }
    // The killed run's lock is still there, naming a process that is gone.
    expect(JSON.parse(await readFile(join(out, LOCK_FILE), 'utf8')).pid).toBe(ownerPid);
    await waitFor('the killed run to be gone with the process started', async () => (await parentOf(ownerPid)) === null, 5_000);
    const doneBefore = await expectNothingFalselyDone(out);
    // A temp file as a write cut by the kill leaves it: the next run removes it.
    const leftover = tempPathFor(join(out, 'clean', `${LARGE}.txt`));
    await writeFile(leftover, 'half a book');

    const requestsBefore = fx.http.requests.length;
    const second = await fanout(args(out));
    expect(second.code, second.stderr).toBe(1);
    const summary = JSON.parse(second.stdout);
    expect(summary.failures.map((f: { error: { code: string } }) => f.error.code)).toEqual(['BOOK_NOT_FOUND']);
    expect(summary.itemsSkipped).toBe(doneBefore);
    // The stalled book was resumed from its partial file, not fetched from byte 0.
    const resumed = fx.http.requests.slice(requestsBefore).filter((r) => r.path === bookPath(LARGE) && r.method === 'GET');
    expect(resumed.some((r) => r.range?.startsWith(`bytes=${partBytes}-`))).toBe(true);
    await expectAllBooksExact(out, fx.mirror, books);
    expect(existsSync(leftover)).toBe(false);
  }, CLI_FROM_SOURCE_TEST_MS);
});
