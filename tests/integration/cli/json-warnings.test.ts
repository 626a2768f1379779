/**
 * A job's warnings reach a scripted user. `--json` with stderr not a terminal (a script, a pipe) showed
 * no `job:warning` at all and the summary had none: the open-files pre-flight's note (the job runs
 * fewer workers than asked), a damaged manifest, mail's cleartext note were lost. Now the JSON summary
 * carries them (`warnings: string[]`) and stderr has them as `warning: ` lines, as without --json.
 * Warning sources here: a damaged manifest line (gutenberg), `--tls none` (mail), and, under prlimit,
 * the open-files pre-flight.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMailbox } from '../../harness/dovecot-fill';
import { CLI_FROM_SOURCE_TEST_MS, runFanoutCli as fanout, runProcess } from '../../harness/fanout-cli';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';
import { prlimitSkip } from '../storage/prlimit';
import { JsonWarnings, MAX_JSON_WARNINGS } from '../../../electron/cli/run-job-in-terminal';

const repo = resolve(__dirname, '../../..');
const noPrlimit = prlimitSkip('the open-files pre-flight under --json');

let fx: GutenbergFixture;
let dataDir = '';
beforeAll(async () => {
  fx = await startGutenbergFixture();
  dataDir = await mkdtemp(join(fx.dir, 'data-'));
});
afterAll(async () => {
  await fx?.cleanup();
});

/** An output folder whose manifest has one damaged line (not the last: not a torn write). */
async function damagedOut(name: string): Promise<string> {
  const out = join(fx.dir, name);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'manifest.jsonl'), '{"ebook":5,"status":\n');
  return out;
}

const DAMAGE = 'manifest.jsonl: 1 damaged line(s) are no record: line 1 (ebook 5)';

interface Summary {
  itemsDone: number;
  workers: number;
  failures: unknown[];
  warnings?: string[];
}

describe('fanout gutenberg: warnings with --json, stderr piped', () => {
  it('the summary carries them and stderr says them; the other fields are as before', async () => {
    const out = await damagedOut('json');
    const r = await fanout(['gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '5,2000-2003', '--out', out, '--json'], { env: { FANOUT_DATA_DIR: dataDir } });
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as Summary;
    expect(summary.itemsDone).toBe(5);
    expect(summary.failures).toEqual([]);
    expect(summary.warnings?.length, r.stdout).toBe(1);
    expect(summary.warnings?.[0]).toContain(DAMAGE);
    expect(r.stderr).toContain(`warning: ${DAMAGE}`);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('a job without warnings: `warnings: []`', async () => {
    const r = await fanout(['gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '2004', '--out', join(fx.dir, 'clean'), '--json'], { env: { FANOUT_DATA_DIR: dataDir } });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Summary).warnings).toEqual([]);
    expect(r.stderr).not.toContain('warning:');
  }, CLI_FROM_SOURCE_TEST_MS);

  it('without --json, stderr piped: a plain `warning: ` line', async () => {
    const out = await damagedOut('text');
    const r = await fanout(['gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '5', '--out', out], { env: { FANOUT_DATA_DIR: dataDir } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^warning: ${DAMAGE.replace(/[.()]/g, '\\$&')}`, 'm'));
  }, CLI_FROM_SOURCE_TEST_MS);

  it.skipIf(noPrlimit !== null)('the open-files pre-flight (prlimit): the note is in the summary, its workers what ran', async () => {
    // 48 workers need 48 × 3 + 40 = 184 > 150: the job runs (150 - 40) / 3 = 36.
    const r = await runProcess(
      'prlimit',
      ['--nofile=150:150', process.execPath, join(repo, 'bin', 'fanout.js'), 'gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '2000-2009', '--out', join(fx.dir, 'nofile'), '--workers', '48', '--strategy', 'queue', '--json'],
      { cwd: repo, env: { ...process.env, FANOUT_FROM_SOURCE: '1', FANOUT_DEBUG: '', FANOUT_DATA_DIR: dataDir }, timeoutMs: CLI_FROM_SOURCE_TEST_MS - 10_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as Summary;
    const note = 'may have 150 files and connections open (ulimit -n): 48 workers need about 184';
    expect(summary.warnings?.find((w) => w.includes(note)), r.stdout).toBeDefined();
    expect(summary.workers).toBeLessThan(48);
    expect(r.stderr).toContain(note);
  }, CLI_FROM_SOURCE_TEST_MS);
});

describe('JsonWarnings: a job with very many warnings (one per mail folder, say)', () => {
  it('keeps them all up to its bound; past it, the last entry says how many more (stderr has them all)', () => {
    const w = new JsonWarnings();
    for (let i = 0; i < MAX_JSON_WARNINGS; i++) w.add(`w${i}`);
    expect(w.list()).toHaveLength(MAX_JSON_WARNINGS);
    expect(w.list().at(-1)).toBe(`w${MAX_JSON_WARNINGS - 1}`);
    w.add('one more');
    w.add('and another');
    const list = w.list();
    expect(list).toHaveLength(MAX_JSON_WARNINGS);
    expect(list.at(-2)).toBe(`w${MAX_JSON_WARNINGS - 2}`);
    expect(list.at(-1)).toBe('… and 3 more warnings (stderr has them all)');
  });
});

describe('fanout mail: warnings with --json, stderr piped', () => {
  let srv: DovecotServer;
  let base = '';
  beforeAll(async () => {
    srv = await startDovecot();
    const admin = await srv.connect();
    try {
      await fillMailbox(admin, [{ path: 'INBOX', count: 3 }]);
    } finally {
      await admin.logout().catch(() => undefined);
    }
    base = await mkdtemp(join(fx.dir, 'mail-'));
  }, 120_000);
  afterAll(async () => {
    await srv?.stop();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('--tls none: the cleartext note is in the summary and on stderr', async () => {
    const r = await fanout(['mail', '--host', '127.0.0.1', '--port', String(srv.port), '--tls', 'none', '--user', srv.user, '--password-env', 'FANOUT_TEST_PW', '--out', join(base, 'out'), '--json'], {
      env: { FANOUT_TEST_PW: srv.password, FANOUT_DATA_DIR: join(base, 'data') },
    });
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as Summary;
    expect(summary.itemsDone).toBe(3);
    expect(summary.warnings?.filter((w) => w.startsWith('Cleartext IMAP: '))).toHaveLength(1);
    expect(r.stderr).toMatch(/^warning: Cleartext IMAP: /m);
  }, CLI_FROM_SOURCE_TEST_MS);
});
