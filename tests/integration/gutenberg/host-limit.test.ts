import { createServer, connect, type Server, type Socket } from 'node:net';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema, type GutenbergJobInput } from '../../../shared/job-spec';
import type { JobEvent, JobSummary } from '../../../shared/events';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { HostMemory } from '../../../electron/engine/jobs/host-memory';
import { startFtpServerOf, type FtpServer, type MirrorBookSpec } from '../../harness';
import { runFanoutCli } from '../../harness/fanout-cli';
import { startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

// Issue 13 item 2: a fixed N = 8 job against a server that takes 3 connections from one address.
const COUNT = 60;
const BOOKS: MirrorBookSpec[] = Array.from({ length: COUNT }, (_, i) => ({ ebook: 4000 + i, files: ['-0.txt'], sizeBytes: 4_000 + i * 100 }));
const LIMIT = 3;

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture(BOOKS);
});
afterAll(async () => {
  await fx?.cleanup();
});

/**
 * A relay for the control connections that knows how many are open at once and which ones the
 * server refused (a 421 or 530 reply). Data connections go to the server directly (EPSV names
 * only a port; the harness servers answer PASV with 127.0.0.1).
 */
interface ControlRelay {
  hostPort: string;
  /** Connections opened through the relay. */
  opened: number;
  /** Connections on which the server answered 421 or 530 (refused). */
  refused: number;
  /** Most connections open at once over the whole run. */
  peak: number;
  stop(): Promise<void>;
}

async function startControlRelay(targetPort: number): Promise<ControlRelay> {
  const open = new Set<Socket>();
  const relay = { opened: 0, refused: 0, peak: 0 };
  const server: Server = createServer((client) => {
    relay.opened++;
    open.add(client);
    relay.peak = Math.max(relay.peak, open.size);
    let wasRefused = false;
    let replies = '';
    const upstream = connect(targetPort, '127.0.0.1');
    upstream.on('data', (chunk: Buffer) => {
      if (!wasRefused && replies.length < 4096) {
        replies += chunk.toString('latin1');
        if (/(^|\n)(421|530)[ -]/.test(replies)) {
          wasRefused = true;
          relay.refused++;
        }
      }
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    const end = () => {
      if (!open.delete(client)) return;
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('close', end);
      s.on('error', end);
    }
    // The client's FIN is its letting go: its 'close' may come after a connection it opened next.
    client.on('end', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return Object.assign(relay, {
    hostPort: `127.0.0.1:${port}`,
    stop: () => {
      for (const s of open) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

interface JobRun {
  summary: JobSummary;
  events: JobEvent[];
  warnings: string[];
}

async function runJob(input: Omit<GutenbergJobInput, 'kind' | 'catalog'>, hosts: HostMemory): Promise<JobRun> {
  const events: JobEvent[] = [];
  const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, selection: { ids: [{ from: 4000, to: 4000 + COUNT - 1 }] }, ...input });
  const summary = await runGutenbergJob(spec, { ...createJobControl((e) => events.push(e)), hosts });
  const warnings = events.flatMap((e) => (e.kind === 'job:warning' ? [e.message] : []));
  return { summary, events, warnings };
}

/** 1 when a job's FTP batch went out of step (pure-ftpd: it then reconnects once to go on lock-step), else 0. */
function redoneOutOfStep(warnings: string[]): number {
  return warnings.some((w) => /replies out of step/.test(w)) ? 1 : 0;
}

async function okBooks(outDir: string): Promise<number> {
  const lines = (await readFile(join(outDir, 'manifest.jsonl'), 'utf8')).split('\n').filter(Boolean);
  return lines.filter((l) => (JSON.parse(l) as { status: string }).status === 'ok').length;
}

describe.each(['vsftpd', 'proftpd', 'pure-ftpd'] as const)('per-host connection limit, %s limited to 3 connections', (kind) => {
  let server: FtpServer;
  let relay: ControlRelay;
  beforeAll(async () => {
    server = await startFtpServerOf(kind, { root: fx.mirror.root, maxPerIp: LIMIT });
    relay = await startControlRelay(server.port);
  });
  afterAll(async () => {
    await relay?.stop();
    await server?.stop();
  });

  it('a fixed N = 8 job completes every book and learns the limit; the next job starts at 3 and says so', async () => {
    const dataDir = join(fx.dir, `data-${kind}`);
    const mirror = server.urlVia(relay.hostPort);
    const key = `ftp://${relay.hostPort}`;

    const first = await runJob({ mirror, workers: 8, strategy: 'queue', attempts: 5, outDir: join(fx.dir, `${kind}-1`) }, new HostMemory(dataDir));
    expect(first.summary.status).toBe('succeeded');
    expect(first.summary.itemsDone).toBe(COUNT);
    expect(first.summary.itemsFailed).toBe(0);
    expect(await okBooks(join(fx.dir, `${kind}-1`))).toBe(COUNT);
    expect(await readdir(join(fx.dir, `${kind}-1`, 'clean'))).toHaveLength(COUNT);
    // One connection per worker (no retry storm): the server refused the surplus (5) once each, their books
    // went back to the queue, and the workers it accepted did the whole job. Beside those, only pure-ftpd's
    // answer to the NOOP probe out of step (whether it comes so depends on timing) makes one session drop
    // its connection and open another (mirror/ftp-batch.ts), which the server may refuse once while it
    // still counts the dropped one: that session knocks again once (core/run-pool.ts).
    const redone = redoneOutOfStep(first.warnings);
    expect(relay.opened).toBeGreaterThanOrEqual(8);
    expect(relay.opened).toBeLessThanOrEqual(8 + 2 * redone);
    expect(relay.refused).toBeGreaterThanOrEqual(8 - LIMIT);
    // The job learns what the server accepted at once (the workers left at work), not 3 by rote. vsftpd and
    // pure-ftpd accept exactly 3 of 8 logins made at once (12 of 12 raw trials each). ProFTPD does not: its
    // MaxClientsPerHost check runs after PASS and counts the host's authenticated sessions in its scoreboard,
    // those racing it to the same check included, so 8 at once may leave fewer than 3 in (it once retired 6
    // here) or more (raw trials, 8 logins at once: 3 in 8 of 12, 4 in 3, 6 in 1).
    const working = 8 - first.warnings.filter((w) => /retired/.test(w)).length;
    if (kind === 'proftpd') {
      expect(working).toBeGreaterThanOrEqual(1);
      expect(working).toBeLessThanOrEqual(LIMIT);
    } else expect(working).toBe(LIMIT);
    // Every connection the server accepted is a working worker's (or the out-of-step redo's).
    expect(relay.opened - relay.refused).toBe(working + redone);
    const learned = working;
    expect(first.warnings.join('\n')).toMatch(new RegExp(`refused more than ${learned} connections at once: the next job to it opens at most ${learned}`));
    const stored = JSON.parse(await readFile(join(dataDir, 'hosts.json'), 'utf8')) as { connectionLimits: Record<string, { limit: number; reason: string; since: string }> };
    expect(stored.connectionLimits[key]).toMatchObject({ limit: learned, reason: expect.stringMatching(/\b(421|530)\b.*(too many|maximum number)/i) });

    const before = { opened: relay.opened, refused: relay.refused };
    relay.peak = 0;
    const second = await runJob({ mirror, workers: 8, strategy: 'queue', attempts: 5, outDir: join(fx.dir, `${kind}-2`) }, new HostMemory(dataDir));
    expect(second.summary.status).toBe('succeeded');
    expect(second.summary.itemsDone).toBe(COUNT);
    const started = second.events.find((e) => e.kind === 'job:started');
    expect(started).toMatchObject({ workers: learned });
    const note = second.warnings.filter((w) => w.includes('accepted at most'));
    expect(note).toHaveLength(1);
    expect(note[0]).toMatch(new RegExp(`^${key.replace(/[.]/g, '\\.')} accepted at most ${learned} connections when it refused one on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC .*this job opens at most ${learned}, not 8; to try more, give --max-per-host N`));
    // Nothing refused this time (but pure-ftpd's out-of-step reconnect, above), and never more than learned at once.
    expect(second.warnings.filter((w) => /retired/.test(w))).toEqual([]);
    expect(relay.refused - before.refused).toBeLessThanOrEqual(redoneOutOfStep(second.warnings));
    expect(relay.peak).toBeLessThanOrEqual(learned);
    expect(relay.opened - before.opened).toBeGreaterThanOrEqual(1);

    // --workers auto starts under the learned limit too, and never asks for more.
    relay.peak = 0;
    const auto = await runJob({ mirror, workers: 32, autoWorkers: true, strategy: 'queue', outDir: join(fx.dir, `${kind}-auto`) }, new HostMemory(dataDir));
    expect(auto.summary.status).toBe('succeeded');
    expect(auto.summary.itemsDone).toBe(COUNT);
    const decisions = auto.events.flatMap((e) => (e.kind === 'job:workers' ? [e.decision] : []));
    expect(decisions[0]).toMatchObject({ action: 'start', workers: learned, why: `start with ${learned} connections (at most ${learned}: the limit per server)` });
    for (const d of decisions) expect(d.workers).toBeLessThanOrEqual(learned);
    expect(auto.warnings.filter((w) => /retired/.test(w))).toEqual([]);
    expect(relay.refused - before.refused).toBeLessThanOrEqual(redoneOutOfStep(second.warnings) + redoneOutOfStep(auto.warnings));
    expect(relay.peak).toBeLessThanOrEqual(learned);
  });
});

describe('--max-per-host (CLI)', () => {
  it('overrides a learned limit (one step down here), and a bad value exits 2 naming the option', async () => {
    const dataDir = join(fx.dir, 'data-cli');
    const server = await startFtpServerOf('vsftpd', { root: fx.mirror.root, maxPerIp: LIMIT });
    const relay = await startControlRelay(server.port);
    try {
      const mirror = server.urlVia(relay.hostPort);
      await new HostMemory(dataDir).rememberConnectionLimit(`ftp://${relay.hostPort}`, LIMIT, 'FTP 421: There are too many connections from your internet address.');
      const args = ['gutenberg', '--catalog', fx.catalogPath, '--mirror', mirror, '--ids', `4000-${4000 + COUNT - 1}`, '--workers', '8', '--strategy', 'queue'];
      const r = await runFanoutCli([...args, '--max-per-host', '2', '--out', join(fx.dir, 'cli-2')], { env: { FANOUT_DATA_DIR: dataDir }, timeoutMs: 60_000 });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`SUCCEEDED: ${COUNT} books done`));
      expect(r.stderr).toMatch(/started gutenberg job: 2 worker\(s\)/);
      expect(r.stderr).not.toMatch(/accepted at most/);
      expect(relay.peak).toBeLessThanOrEqual(2);
      expect(relay.refused).toBe(0);
      const bad = await runFanoutCli([...args, '--max-per-host', '0', '--out', join(fx.dir, 'cli-0')], { timeoutMs: 60_000 });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--max-per-host.*0 is out of range; give a whole number from 1 to 64/);
    } finally {
      await relay.stop();
      await server.stop();
    }
  });
});
