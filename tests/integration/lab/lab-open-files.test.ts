/**
 * A lab under a low open-files limit (`ulimit -n`). Since s19 a job whose workers need more files
 * than the limit allows runs the workers that fit, with only a warning (core/open-files-check.ts);
 * a lab cell run so would be reported at N workers though it ran at M < N. Now the lab refuses such
 * cells before it measures anything: it stops OUT_OF_RESOURCES naming the cells, the limit, the most
 * that fit and the fix; no point, nothing run. The CLI from the sources, under `prlimit --nofile`.
 */
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_FROM_SOURCE_TEST_MS, runProcess } from '../../harness/fanout-cli';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';
import { prlimitSkip } from '../storage/prlimit';

const repo = resolve(__dirname, '../../..');
const why = prlimitSkip('lab open-files tests');

let fx: GutenbergFixture;
beforeAll(async () => {
  if (why) return;
  fx = await startGutenbergFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

/** `fanout <args>` from the sources under an open-files limit of 150 (48 workers need 184: 36 fit). */
function lab(args: string[], env: Record<string, string> = {}) {
  return runProcess('prlimit', ['--nofile=150:150', process.execPath, join(repo, 'bin', 'fanout.js'), ...args], {
    cwd: repo,
    env: { ...process.env, FANOUT_FROM_SOURCE: '1', FANOUT_DEBUG: '', FANOUT_DATA_DIR: join(fx.dir, 'data'), ...env },
    timeoutMs: CLI_FROM_SOURCE_TEST_MS - 10_000,
  });
}

const REFUSED = /lab stopped: OUT_OF_RESOURCES: this process may have 150 files and connections open \(ulimit -n\): the cells at 48 workers need about 184 .*: a job would run them at 36 workers, not 48, so they are not measured; measure at most 36 workers, or raise the limit to 184 or more \(ulimit -n 1024/;

describe.skipIf(why !== null)('a lab whose cells do not fit the open-files limit', () => {
  it('fanout lab stragglers --workers 48: refused before measuring, no point', async () => {
    const out = join(fx.dir, 'stragglers');
    const r = await lab(['lab', 'stragglers', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '2000-2003', '--sample', '3', '--workers', '48', '--timeouts', 'off', '--out-dir', out, '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(REFUSED);
    expect((JSON.parse(r.stdout) as { points: unknown[] }).points).toEqual([]);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('fanout lab gutenberg --workers 1,48: refused before the first cell (the one that fits is not measured either)', async () => {
    const out = join(fx.dir, 'gutenberg');
    const r = await lab(['lab', 'gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '2000-2003', '--sample', '3', '--strategies', 'serial,queue', '--workers', '1,48', '--out-dir', out, '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(REFUSED);
    expect((JSON.parse(r.stdout) as { points: unknown[] }).points).toEqual([]);
    expect(existsSync(join(out, 'raw'))).toBe(false);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('fanout lab queue --workers 48: refused the same', async () => {
    const out = join(fx.dir, 'queue');
    const r = await lab(['lab', 'queue', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '2000-2003', '--sample', '3', '--workers', '48', '--bounds', '1,unbounded', '--out-dir', out, '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(REFUSED);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('fanout lab mail --connections 1,16: refused before any login (16 connections need about 168: 14 fit)', async () => {
    // Nothing listens on port 9: a lab that logged in first would stop on the connection instead.
    const r = await lab(['lab', 'mail', '--host', '127.0.0.1', '--port', '9', '--tls', 'none', '--user', 'u', '--password-env', 'FANOUT_TEST_PW', '--strategies', 'queue', '--connections', '1,16', '--out-dir', join(fx.dir, 'mail'), '--json'], { FANOUT_TEST_PW: 'p' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/lab stopped: OUT_OF_RESOURCES: this process may have 150 files and connections open \(ulimit -n\): the cells at 16 connections need about 168 \(9 each \+ 24, at least 57\): a job would run them at 14 connections, not 16, so they are not measured/);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('fanout lab gutenberg --workers 1,48 --max-per-host 8: a cell holds 8 connections at most, which fit: measured', async () => {
    const out = join(fx.dir, 'capped');
    const r = await lab(['lab', 'gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '2000-2003', '--sample', '3', '--strategies', 'queue', '--workers', '1,48', '--max-per-host', '8', '--out-dir', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { points: { workers: number }[] }).points.map((p) => p.workers)).toEqual([1, 48]);
  }, CLI_FROM_SOURCE_TEST_MS);

  it('cells that fit (--workers 1,8) are measured as before', async () => {
    const out = join(fx.dir, 'fits');
    const r = await lab(['lab', 'gutenberg', '--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '2000-2003', '--sample', '3', '--strategies', 'queue', '--workers', '1,8', '--out-dir', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { points: { workers: number }[] }).points.map((p) => p.workers)).toEqual([1, 8]);
  }, CLI_FROM_SOURCE_TEST_MS);
});
