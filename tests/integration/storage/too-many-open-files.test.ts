/**
 * A job with many workers under a low open-files limit (`ulimit -n`: a container's, a service's):
 * the CLI as built, run under `prlimit --nofile` against a real HTTP mirror. Measured at 7e68c46 (16
 * workers, 150 books): at nofile 50, 89 books WRITE_FAILED and 9 SCRUB_FAILED (failed for good,
 * "Write failed: EMFILE" read as a disk fault), at 70 over FTP some INTERNAL ("connect EMFILE") and
 * books whose manifest line could not be written. Now the first EMFILE stops the job
 * (OUT_OF_RESOURCES naming the limit and the fix): no book is recorded failed, and the re-run with a
 * higher limit finishes every book. The same for `fanout mail` (Dovecot, 8 connections): at 7e68c46,
 * message ranges failed WRITE_FAILED ('Could not write …: EMFILE').
 *
 * s19: the open-files pre-flight (core/open-files-check.ts): workers × 3 + 40 over the limit, the job
 * runs the workers that fit and says so at its start (a warning naming the limit, the workers asked
 * and run, and the fix): at nofile 56, 32 workers run 5 and every book is done in one run; 8 mail
 * connections at nofile 50 run 1 (a mail job holds 57 at least: its 32 `.eml` writes in flight), which
 * may still stop. The stop on a lasting EMFILE is still what a job meets past the estimate
 * (tests/integration/storage/open-files-peak.test.ts: a limit that persists).
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../../../build/cli-bundle.mjs';
import { runProcess } from '../../harness/fanout-cli';
import type { MirrorBookSpec } from '../../harness';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';
import { startDovecot } from '../../harness/dovecot';
import { openMailTestBed } from '../mail/mail-test-bed';
import { prlimitSkip } from './prlimit';

const repo = resolve(__dirname, '../../..');

const why = prlimitSkip('open-files tests');

const BOOKS: MirrorBookSpec[] = Array.from({ length: 150 }, (_, i) => ({ ebook: 3000 + i, files: ['-0.txt'], title: `Book ${i}`, sizeBytes: 20_000 + i * 100 }));
let fx: GutenbergFixture;
let bundleDir = '';
let base = '';

beforeAll(async () => {
  if (why) return;
  const cache = join(repo, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  // Inside the repository: the bundle's externals (piscina) resolve from node_modules above it.
  bundleDir = await mkdtemp(join(cache, 'fanout-nofile-cli-'));
  base = await mkdtemp(join(tmpdir(), 'fanout-nofile-'));
  [fx] = await Promise.all([startGutenbergFixture(BOOKS), bundleCli(repo, bundleDir)]);
}, 180_000);

afterAll(async () => {
  await fx?.cleanup();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  if (base) await rm(base, { recursive: true, force: true });
});

/** `fanout gutenberg` into `out` with 32 workers, under an open-files limit of `nofile`. */
function gutenberg(out: string, nofile: number) {
  return runProcess(
    'prlimit',
    [`--nofile=${nofile}:${nofile}`, process.execPath, join(bundleDir, 'index.js'), 'gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--out', out, '--workers', '32', '--strategy', 'queue'],
    { cwd: base, env: { ...process.env, FANOUT_DATA_DIR: join(base, 'data'), FANOUT_DEBUG: '' }, timeoutMs: 150_000 },
  );
}

async function manifest(out: string): Promise<Map<number, { status: string; errorCode?: string }>> {
  const text = await readFile(join(out, 'manifest.jsonl'), 'utf8').catch(() => '');
  const last = new Map<number, { status: string; errorCode?: string }>();
  for (const line of text.split('\n').filter(Boolean)) {
    const e = JSON.parse(line) as { ebook: number; status: string; errorCode?: string };
    last.set(e.ebook, e);
  }
  return last;
}

describe.skipIf(why !== null)('a job under a low open-files limit', () => {
  it('32 workers, nofile 56: the job runs the 5 that fit, says so, no book failed for good; the re-run with a higher limit finishes every book', async () => {
    const out = join(base, 'out');
    const low = await gutenberg(out, 56);
    // The pre-flight (was: 32 workers, stopped OUT_OF_RESOURCES with part of the books done).
    expect(low.stderr).toContain('may have 56 files and connections open (ulimit -n): 32 workers need about 136 (3 each + 40, at least 47), so this job runs 5 workers, not 32');
    const failed = [...(await manifest(out)).values()].filter((e) => e.status !== 'ok');
    // Was: dozens of books failed WRITE_FAILED / SCRUB_FAILED / INTERNAL ("EMFILE: too many open files").
    expect(failed, low.stderr).toEqual([]);
    if (low.code !== 0) {
      expect(low.stderr).toMatch(/OUT_OF_RESOURCES: .*EMFILE.*\(56, ulimit -n\): use fewer workers or connections, or raise the limit \(ulimit -n 4096[^]*The job stopped/);
    }
    const again = await gutenberg(out, 4096);
    expect(again.code, again.stderr).toBe(0);
    const done = await manifest(out);
    expect([...done.values()].filter((e) => e.status === 'ok').length).toBe(BOOKS.length);
  }, 360_000);
});

describe.skipIf(why !== null)('a mail job under a low open-files limit', () => {
  it('8 connections, nofile 50: the job runs 1 connection (none fits: a mail job holds 57 at least), no message failed for good; a stop names the limit; the re-run with a higher limit archives every message', async () => {
    const bed = await openMailTestBed(() => startDovecot({}), { tmpPrefix: 'fanout-nofile-mail-', folders: [{ path: 'INBOX', count: 300 }, { path: 'Archive', count: 300 }], seed: 3, crlf: true });
    try {
      const mail = (nofile: number) =>
        runProcess(
          'prlimit',
          [`--nofile=${nofile}:${nofile}`, process.execPath, join(bundleDir, 'index.js'), 'mail', '--host', '127.0.0.1', '--port', String(bed.srv.port), '--tls', 'none', '--user', bed.srv.user, '--password-env', 'FANOUT_TEST_PW', '--out', bed.out, '--connections', '8', '--json'],
          { cwd: bed.base, env: { ...process.env, FANOUT_TEST_PW: bed.srv.password, FANOUT_DATA_DIR: join(bed.base, 'data'), FANOUT_DEBUG: '' }, timeoutMs: 150_000 },
        );
      const low = await mail(50);
      // The pre-flight: the summary's workers are what ran, its warnings (and stderr, under --json too) say why.
      const lowSummary = JSON.parse(low.stdout) as { workers: number; warnings: string[] };
      expect(lowSummary.workers).toBe(1);
      const note = 'may have 50 files and connections open (ulimit -n): 8 connections need about 96 (9 each + 24, at least 57), so this job runs 1 connection, not 8 (even 1 may be too many: it needs about 57)';
      expect(lowSummary.warnings.filter((w) => w.includes(note))).toHaveLength(1);
      expect(low.stderr).toContain(note);
      const failures = (JSON.parse(low.stdout) as { failures: { item: string; error: { code: string; retryable: boolean } }[] }).failures;
      // Was: 'INBOX 251-300: WRITE_FAILED' and the like, not retryable.
      expect(failures.filter((f) => !f.error.retryable), low.stderr).toEqual([]);
      if (low.code !== 0) expect(low.stderr).toMatch(/OUT_OF_RESOURCES: .*EMFILE.*\(50, ulimit -n\)[^]*The job stopped/);
      const again = await mail(4096);
      expect(again.code, again.stderr).toBe(0);
      expect((JSON.parse(again.stdout) as { failures: unknown[] }).failures).toEqual([]);
    } finally {
      await bed.stop();
    }
  }, 360_000);
});
