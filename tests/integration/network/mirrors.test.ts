import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { checkGutenbergInputs } from '../../../electron/engine/inputs/job-inputs';
import { probeMirrors } from '../../../electron/engine/net/probe-mirror';
import { registerMirrorsCommand } from '../../../electron/cli/mirrors-command';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';

let fx: GutenbergFixture;
/** Accepts connections and never says a word: a probe must give up on its own. */
let silent: Server;
let silentPort: number;
let closedPort: number;
beforeAll(async () => {
  fx = await startGutenbergFixture();
  silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as { port: number }).port;
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedPort = (closed.address() as { port: number }).port;
  await new Promise((resolve) => closed.close(resolve));
});
afterAll(async () => {
  silent?.close();
  await fx?.cleanup();
});

describe('fanout mirrors --probe (loopback servers only)', () => {
  it('measures the round trip and the first answer of HTTP and FTP; a refused, a silent and an odd URL each say why, bounded', async () => {
    const urls = [
      `http://127.0.0.1:${fx.http.port}/`,
      `ftp://127.0.0.1:${fx.ftp.port}/`,
      `http://127.0.0.1:${closedPort}/`,
      `ftp://127.0.0.1:${silentPort}/`,
      'gopher://127.0.0.1/',
    ];
    const [http, ftp, refused, quiet, gopher] = await probeMirrors(urls, { timeoutMs: 500 });
    expect(http).toMatchObject({ ok: true, protocol: 'http', answer: 'HTTP 200', error: null });
    expect(http!.rttMs).toBeGreaterThanOrEqual(0);
    expect(ftp).toMatchObject({ ok: true, protocol: 'ftp', answer: expect.stringMatching(/^220/) });
    expect(refused).toMatchObject({ ok: false, rttMs: null, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(quiet).toMatchObject({ ok: false, error: 'no answer in 500 ms' });
    expect(quiet!.rttMs).not.toBeNull(); // it connected; it just never answered
    expect(gopher).toMatchObject({ ok: false, error: 'gopher: not probed' });
  });

  it('the command prints each probed URL, and exits 1 when one does not answer', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const program = new Command().exitOverride();
      registerMirrorsCommand(program);
      await program.parseAsync(['mirrors', '--url', `http://127.0.0.1:${fx.http.port}/`, '--url', `http://127.0.0.1:${closedPort}/`, '--timeout', '500'], { from: 'user' });
      const text = out.mock.calls.map((c) => String(c[0])).join('');
      expect(text).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${fx.http.port}/ {2}[\\d.]+ ms {2}HTTP 200`));
      expect(text).toMatch(/unreachable: connect ECONNREFUSED/);
      expect(process.exitCode).toBe(1);
    } finally {
      out.mockRestore();
      process.exitCode = undefined;
    }
  });
});

describe('a job pointed at the main site', () => {
  const spec = (extra: object) =>
    GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror: 'https://www.gutenberg.org/', outDir: join(fx.dir, 'main-site'), ...extra });

  it('is refused before any connection, naming the policy and a mirror (input check and the job itself)', async () => {
    const check = await checkGutenbergInputs(spec({}));
    expect(check.problems).toEqual([expect.objectContaining({ field: 'mirror', message: expect.stringMatching(/robot access policy.*e\.g\. https:\/\/aleph\.gutenberg\.org\//) })]);
    const summary = await runGutenbergJob(spec({}), createJobControl());
    expect(summary.status).toBe('failed');
    expect(summary.itemsDone + summary.itemsFailed).toBe(0);
  });

  it('--allow-main-site passes the check for one book, not for more', async () => {
    expect((await checkGutenbergInputs(spec({ allowMainSite: true, selection: { ids: [{ from: 5, to: 5 }] } }))).problems).toEqual([]);
    const many = await checkGutenbergInputs(spec({ allowMainSite: true }));
    expect(many.problems).toEqual([expect.objectContaining({ field: 'mirror', message: expect.stringMatching(/for a single book, and this job selects \d+/) })]);
  });
});
