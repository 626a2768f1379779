/**
 * Permission faults (EACCES) met by a user who is not root: the CLI as built, run as nobody, on
 * folders of a real file system where one file or subfolder belongs to root. The job stops with
 * OUTPUT_NOT_WRITABLE naming the very file or folder to fix (not only the output folder, which is
 * writable), before any download when the fault is found at the start, with no stack trace; once
 * the permissions are fixed, the re-run finishes the job without fetching again what was done.
 */
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../shared/events';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMailbox } from '../../harness/dovecot-fill';
import type { FanoutCliResult } from '../../harness/fanout-cli';
import { BOOKS, startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';
import { NOBODY, nobodyCli, skipWithoutUnprivileged, type NobodyCli } from './as-nobody';
import { expectAllBooksExact } from './storage-check';

const skip = skipWithoutUnprivileged();
let cli: NobodyCli;
let fx: GutenbergFixture;
let srv: DovecotServer;

beforeAll(async () => {
  if (skip) return;
  [cli, fx, srv] = await Promise.all([nobodyCli('fanout-perm'), startGutenbergFixture(), startDovecot()]);
  await chmod(fx.dir, 0o755); // nobody reads the catalog
  const admin: ImapFlow = await srv.connect();
  try {
    await fillMailbox(admin, [
      { path: 'INBOX', count: 30 },
      { path: 'Archive', count: 12 },
    ]);
  } finally {
    await admin.logout().catch(() => undefined);
  }
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([fx?.cleanup(), srv?.stop()]);
  await cli?.remove();
});

/** The summary a --json run printed on stdout (null when it printed none: refused before the job ran). */
function summaryOf(r: FanoutCliResult): JobSummary | null {
  try {
    return JSON.parse(r.stdout) as JobSummary;
  } catch {
    return null;
  }
}

/** What the run told its user about the job's failure: the (job) failure's message in --json, else the error line. */
function jobErrorText(r: FanoutCliResult): string {
  const job = summaryOf(r)?.failures.find((f) => f.item === '(job)');
  return job ? `${job.error.code}: ${job.error.message}` : r.stderr;
}

function expectNoStackTrace(r: FanoutCliResult): void {
  expect(r.stderr, r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain('node:internal');
}

describe.skipIf(skip)('gutenberg run by a user who may not write one file or folder of its output', () => {
  const args = (out: string, extra: string[] = []) => ['gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--workers', '2', '--strategy', 'queue', '--attempts', '2', '--out', out, '--json', ...extra];
  /** The ebooks asked for since request `from` (a book's files and listing are under its own folder, /1/0/0/1001/…). */
  const requestedBooks = (from: number) => new Set(fx.http.requests.slice(from).map((r) => Number(/\/(\d+)\/[^/]*$/.exec(r.path)?.[1] ?? NaN)).filter((n) => !Number.isNaN(n)));

  it('manifest.jsonl owned by root: refused by the input check (exit 2) naming manifest.jsonl; after chown the re-run fetches only what was not done', async () => {
    const out = join(cli.base, 'manifest-root');
    await mkdir(out);
    await cli.giveToNobody(out);
    const first = await cli.run(args(out, ['--ids', '5,2000']));
    expect(first.code, first.stderr).toBe(0);
    const manifest = join(out, 'manifest.jsonl');
    await chown(manifest, 0, 0);

    const before = fx.http.requests.length;
    const refused = await cli.run(args(out));
    // Refused by the input check, as an output folder that cannot be written is: exit 2, one line naming the file.
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr.trim()).toBe(`error: --out ${out}: holds ${manifest}, which this user may not read and write (permission denied): fix its owner or permissions (or run as the user who owns it), then run again`);
    expectNoStackTrace(refused);
    expect(fx.http.requests.length, 'no request before the refusal').toBe(before);

    await chown(manifest, NOBODY, NOBODY);
    const from = fx.http.requests.length;
    const rerun = await cli.run(args(out));
    expect(rerun.code, rerun.stderr).toBe(1); // the one book the mirror does not have
    expect(summaryOf(rerun)?.itemsSkipped).toBe(2);
    const fetched = requestedBooks(from);
    expect(fetched.has(2001), 'the books not done are fetched').toBe(true);
    expect(fetched.has(5) || fetched.has(2000), 'a done book fetched again').toBe(false);
    await expectAllBooksExact(out, fx.mirror, BOOKS);
  }, 240_000);

  it.each(['raw', 'clean'])('%s/ owned by root: refused by the input check (exit 2) naming that folder; after chown the re-run finishes whole', async (sub) => {
    const out = join(cli.base, `${sub}-root`);
    await mkdir(join(out, sub), { recursive: true });
    await chown(out, NOBODY, NOBODY);
    const before = fx.http.requests.length;
    const refused = await cli.run(args(out));
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr.trim()).toBe(`error: --out ${out}: holds ${join(out, sub)}, which this user may not write (permission denied): fix its owner or permissions (or run as the user who owns it), then run again`);
    expectNoStackTrace(refused);
    expect(fx.http.requests.length, 'no request before the refusal').toBe(before);

    await chown(join(out, sub), NOBODY, NOBODY);
    const rerun = await cli.run(args(out));
    expect(rerun.code, rerun.stderr).toBe(1); // the one book the mirror does not have
    await expectAllBooksExact(out, fx.mirror, BOOKS);
  }, 240_000);
});

describe.skipIf(skip)('verify corpus by a user who may not read its manifest', () => {
  it('manifest.jsonl of root, mode 0600: exit 2, its permissions named as the fix (not "not the output folder")', async () => {
    const out = join(cli.base, 'verify-manifest-denied');
    await mkdir(out);
    await cli.giveToNobody(out);
    const done = await cli.run(['gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '5', '--out', out]);
    expect(done.code, done.stderr).toBe(0);
    const manifest = join(out, 'manifest.jsonl');
    await chown(manifest, 0, 0);
    await chmod(manifest, 0o600);
    const r = await cli.run(['verify', 'corpus', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`error: ${out}: its manifest.jsonl cannot be read by this user (permission denied): fix its permissions, or run verify as the user who owns it`);
  }, 240_000);
});

describe.skipIf(skip)('a lock file of another user in a gutenberg output folder', () => {
  const args = (out: string) => ['gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--workers', '2', '--strategy', 'queue', '--attempts', '2', '--out', out, '--json'];
  /** A lock left by a process that is gone (no such PID), owned by root with `mode`. */
  async function deadLock(out: string, mode: number): Promise<string> {
    const file = join(out, '.fanout.lock');
    await writeFile(file, JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), since: '2026-01-01T00:00:00.000Z', kind: 'gutenberg', token: 'f00d' }), { mode });
    await chmod(file, mode);
    return file;
  }

  it('unreadable (root, 0600): refused as a lock this user cannot judge, naming the file, before any request; removed, the run finishes', async () => {
    const out = join(cli.base, 'lock-unreadable');
    await mkdir(out);
    await chown(out, NOBODY, NOBODY);
    const lock = await deadLock(out, 0o600);
    const before = fx.http.requests.length;
    const refused = await cli.run(args(out));
    expect(refused.code, refused.stderr).toBe(1);
    const text = jobErrorText(refused);
    expect(text).toMatch(/^OUTPUT_LOCKED: /);
    expect(text).toContain(`${lock} cannot be read by this user (permission denied)`);
    expectNoStackTrace(refused);
    expect(fx.http.requests.length, 'no request before the refusal').toBe(before);
    expect(existsSync(lock), "another user's lock is left as it is").toBe(true);

    await rm(lock);
    const rerun = await cli.run(args(out));
    expect(rerun.code, rerun.stderr).toBe(1); // the one book the mirror does not have
    await expectAllBooksExact(out, fx.mirror, BOOKS);
  }, 240_000);

  it('readable (root, 0644) and its process gone: taken over as any dead holder\'s, the run finishes', async () => {
    const out = join(cli.base, 'lock-dead-root');
    await mkdir(out);
    await chown(out, NOBODY, NOBODY);
    await deadLock(out, 0o644);
    const run = await cli.run(args(out));
    expect(run.code, run.stderr).toBe(1); // the one book the mirror does not have
    await expectAllBooksExact(out, fx.mirror, BOOKS);
  }, 240_000);
});

describe.skipIf(skip)('mail run by a user who may not write one file of its archive', () => {
  const args = (out: string) => ['mail', '--host', srv.host, '--port', String(srv.port), '--tls', 'none', '--user', srv.user, '--password-env', 'FANOUT_TEST_PW', '--out', out, '--json'];
  const env = () => ({ FANOUT_TEST_PW: srv.password });

  it("a folder's index.jsonl owned by root: the job stops naming index.jsonl, no untried folder failed; after chown the re-run fetches only what is missing", async () => {
    const out = join(cli.base, 'mail-index-root');
    await mkdir(out);
    await cli.giveToNobody(out);
    const first = await cli.run(args(out), env());
    expect(first.code, first.stderr).toBe(0);
    expect(summaryOf(first)?.itemsDone).toBe(42);
    const root = join(out, `${srv.user}@${srv.host}`);
    // A lost message file: the re-run fetches it again, and must write its index line. Archive's
    // directory gone too: its messages are planned, and left untried by the stop (one connection
    // deals the folders' chunks in the server's order: INBOX's first).
    await rm(join(root, 'INBOX', '3.eml'));
    await rm(join(root, 'Archive'), { recursive: true });
    const index = join(root, 'INBOX', 'index.jsonl');
    await chown(index, 0, 0);

    const stopped = await cli.run([...args(out), '--connections', '1', '--strategy', 'serial'], env());
    expect(stopped.code, stopped.stderr).toBe(1);
    const text = jobErrorText(stopped);
    expect(text).toContain('OUTPUT_NOT_WRITABLE');
    expect(text).toContain('permission denied');
    expect(text, 'names the file to fix').toContain(index);
    expectNoStackTrace(stopped);
    // One cause, one failure: no folder left untried by the stop is reported FOLDER_INCOMPLETE.
    expect(summaryOf(stopped)?.failures.map((f) => `${f.item}: ${f.error.code}`)).toEqual(['(job): OUTPUT_NOT_WRITABLE']);

    await chown(index, NOBODY, NOBODY);
    const rerun = await cli.run(args(out), env());
    expect(rerun.code, rerun.stderr).toBe(0);
    // The stopped run landed 3.eml whole but not its index line: the re-run recovers it from the
    // disk (not fetched) or, had the stop come before the file, fetches it; and what Archive lacks.
    const summary = summaryOf(rerun)!;
    expect(summary.itemsDone).toBeLessThanOrEqual(13);
    expect(summary.itemsDone + summary.itemsSkipped).toBe(42);
    expect(existsSync(join(root, 'INBOX', '3.eml'))).toBe(true);
    // Whole and the server's: verify (as nobody too) checks every file against the server and the index.
    const verified = await cli.run(['verify', 'mail', ...args(out).slice(1, -1)], env());
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  }, 240_000);
});
