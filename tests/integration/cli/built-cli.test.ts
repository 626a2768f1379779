/**
 * The CLI as `npm run build` ships it (build/cli-bundle.mjs: our code and the npm packages bundled
 * into out/cli/, split at the dynamic imports), run against real servers: each bundled package must
 * still work from inside the bundle (basic-ftp, imapflow and its parsers, undici, ws, commander),
 * and the scrubber's worker entry points must be found next to the chunks. The other CLI tests run
 * the sources (or a bundle that leaves the packages out), so this is the one that runs the product.
 * Built here from the current sources into a temp folder, so no stale out/ is tested.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../../../build/cli-bundle.mjs';
import type { JobSummary } from '../../../shared/events';
import { startDante, type DanteServer } from '../../harness/dante-server';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMaildir } from '../../harness/dovecot-maildir';
import { runProcess, type FanoutCliResult } from '../../harness/fanout-cli';
import { generateMirror, startFtpServer, startHttpServer, type FtpServer, type GeneratedMirror, type HttpServer } from '../../harness';

const repo = resolve(__dirname, '../../..');
const MESSAGES = 3;
/** "日本語の件名" in ISO-2022-JP: decoding it loads encoding-japanese, which the bundle loads only then (LAZY_IMPORTS). */
const JAPANESE_SUBJECT = '=?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+GyhC?=';

let bundleDir = '';
let dir = '';
let mirror: GeneratedMirror;
let http: HttpServer;
let ftp: FtpServer;
let dovecot: DovecotServer;
let socks: DanteServer;
let catalog = '';

beforeAll(async () => {
  const cache = join(repo, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  // Inside the repository: the bundle's externals (piscina) resolve from node_modules above it.
  bundleDir = await mkdtemp(join(cache, 'fanout-built-cli-'));
  dir = await mkdtemp(join(tmpdir(), 'fanout-built-cli-'));
  const [, m, d] = await Promise.all([
    bundleCli(repo, bundleDir),
    generateMirror(join(dir, 'mirror'), [
      { ebook: 5, files: ['-0.txt'] },
      { ebook: 12, files: ['-0.zip'] },
    ]),
    startDovecot(),
  ]);
  mirror = m;
  dovecot = d;
  [http, ftp, socks] = await Promise.all([startHttpServer({ root: mirror.root }), startFtpServer({ root: mirror.root }), startDante()]);
  catalog = join(dir, 'pg_catalog.csv');
  await writeFile(catalog, 'Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves\n5,Text,2000-01-01,"A",en,"B, C",F,PR,X\n12,Text,2000-01-01,"D",en,"E, F",F,PR,X\n');
  const date = new Date('2024-01-02T03:04:05Z');
  fillMaildir(dovecot, 'INBOX', Array.from({ length: MESSAGES }, (_, i) => ({
    source: Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: ${i === 0 ? JAPANESE_SUBJECT : `message ${i}`}\r\nMessage-ID: <m${i}@example.org>\r\nDate: ${date.toUTCString()}\r\n\r\nBody ${i}\r\n`),
    date,
    seen: false,
  })));
}, 120_000);

afterAll(async () => {
  await Promise.all([http?.stop(), ftp?.stop(), dovecot?.stop(), socks?.stop()]);
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `node out/cli/index.js <args>` (the bundle bin/fanout.js runs); resolves with its exit and output. */
function builtFanout(args: string[], env: Record<string, string> = {}): Promise<FanoutCliResult> {
  return runProcess(process.execPath, [join(bundleDir, 'index.js'), ...args], {
    cwd: dir,
    env: { ...process.env, FANOUT_DATA_DIR: join(dir, 'data'), FANOUT_DEBUG: '', ...env },
    timeoutMs: 60_000,
  });
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('the built CLI (out/cli bundle)', () => {
  it('lists every command under --help', async () => {
    const r = await builtFanout(['--help']);
    expect(r.code).toBe(0);
    for (const name of ['gutenberg', 'mirrors', 'clean', 'mail', 'serve', 'verify', 'lab']) expect(r.stdout).toMatch(new RegExp(`^\\s+${name}\\b`, 'm'));
  });

  it('downloads and cleans books over HTTP, scrubbing in worker threads', async () => {
    const out = join(dir, 'out-http');
    const r = await builtFanout(['gutenberg', '--catalog', catalog, '--mirror', http.url, '--out', out, '--workers', '2', '--scrub-executor', 'threads', '--json']);
    expect(r.stderr).not.toMatch(/Error|error:/);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as JobSummary;
    expect([summary.status, summary.itemsDone]).toEqual(['succeeded', 2]);
    expect((await filesUnder(join(out, 'clean'))).length).toBe(2);
    const verified = await builtFanout(['verify', 'corpus', out]);
    expect(verified.code, verified.stderr).toBe(0);
  });

  it('downloads books over FTP, scrubbing in child processes', async () => {
    const out = join(dir, 'out-ftp');
    const r = await builtFanout(['gutenberg', '--catalog', catalog, '--mirror', ftp.url, '--out', out, '--workers', '2', '--scrub-executor', 'processes', '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as JobSummary;
    expect([summary.status, summary.itemsDone]).toEqual(['succeeded', 2]);
    expect((await filesUnder(join(out, 'clean'))).length).toBe(2);
  });

  // Through a SOCKS5 proxy too (mail/socks-transport.ts over net/socks.ts, from inside the bundle).
  it.each([['directly', []], ['through a SOCKS5 proxy', ['--proxy', 'socks5']]] as const)('archives a mailbox from Dovecot %s', async (_how, proxy) => {
    const out = join(dir, `out-mail-${proxy.length}`);
    const r = await builtFanout(
      ['mail', '--host', '127.0.0.1', '--port', String(dovecot.port), '--tls', 'none', '--user', dovecot.user, '--password-env', 'FANOUT_TEST_PW', '--out', out, '--json', ...(proxy.length > 0 ? ['--proxy', socks.url] : [])],
      { FANOUT_TEST_PW: dovecot.password },
    );
    expect(r.stderr).not.toMatch(/TypeError|is not a function/);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as JobSummary;
    expect([summary.status, summary.itemsDone]).toEqual(['succeeded', MESSAGES]);
    const files = await filesUnder(out);
    expect(files.filter((f) => f.endsWith('.eml')).length).toBe(MESSAGES);
    const index = await readFile(files.find((f) => f.endsWith('index.jsonl'))!, 'utf8');
    expect(index).toContain('"subject":"日本語の件名"');
    // Dante logs each relayed connection as "… 127.0.0.1.PORT".
    if (proxy.length > 0) expect(await socks.log()).toMatch(new RegExp(`127\\.0\\.0\\.1\\.${dovecot.port}\\b`));
  });

  it('serves the UI to a browser and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [join(bundleDir, 'index.js'), 'serve', '--port', '0', '--data-dir', join(dir, 'data')], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let stdout = '';
    const url = await new Promise<string>((found, fail) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /https?:\/\/127\.0\.0\.1:\d+\/\S*/.exec(stdout);
        if (m) found(m[0]);
      });
      void exited.then((code) => fail(new Error(`serve exited with ${code} before printing its URL: ${stdout}`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    clearTimeout(timer);
  });
});
