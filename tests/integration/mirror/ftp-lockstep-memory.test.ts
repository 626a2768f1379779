import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent, JobSummary } from '../../../shared/events';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { HostMemory } from '../../../electron/engine/jobs/host-memory';
import { ftpHostKey } from '../../../electron/engine/mirror/ftp-host-state';
import { generateMirror, startPureFtpd, startTcpProxy, type FtpServer, type GeneratedMirror, type MirrorBookSpec, type TcpProxy } from '../../harness';
import { count, removeAll, startGateRelay, tempDir, type GateRelay } from './helpers';

/**
 * Issue 7, item 2: the lock-step verdict outlives the job. pure-ftpd answers the first job's probe
 * (a NOOP written during a transfer) with `500`; the host keeps that in its data dir, and the next
 * job to the same server starts lock-step: not one NOOP is written on any control connection.
 * Client → recording relay (what the client wrote) → latency proxy → pure-ftpd (throttled, so
 * transfers last long enough for the probe to land during one).
 */
const BOOKS = [3000, 3001, 3002, 3003, 3004, 3005];

let work: string;
let gen: GeneratedMirror;
let catalogPath: string;
let server: FtpServer;
let proxy: TcpProxy;
let relay: GateRelay;

beforeAll(async () => {
  work = await tempDir('ftp-lockstep-memory');
  gen = await generateMirror(path.join(work, 'mirror'), BOOKS.map((ebook): MirrorBookSpec => ({ ebook, files: ['-0.txt'], sizeBytes: 150_000 + (ebook % 7) * 20_000 })));
  catalogPath = path.join(work, 'catalog.csv');
  const rows = BOOKS.map((b) => `${b},Text,2000-01-01,"Book ${b}",en,"Author, Test",Fiction,PR,Shelf`);
  await writeFile(catalogPath, ['Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves', ...rows, ''].join('\n'));
  // 1 MB/s per session: every transfer lasts long enough (150 ms and more) for the probe to land in it.
  server = await startPureFtpd({ root: gen.root, bandwidthKBps: 1000 });
  proxy = await startTcpProxy({ targetPort: server.port, ftp: true, delayMs: 5 });
  // Never holds anything back: it only records what the client wrote on each control connection.
  relay = await startGateRelay({ targetPort: proxy.port, from: () => false, until: () => true });
});

afterAll(async () => {
  await relay?.stop();
  await proxy?.stop();
  await server?.stop();
  await removeAll(work);
});

async function runJob(outDir: string, hosts: HostMemory): Promise<{ summary: JobSummary; warnings: string[]; sent: string }> {
  const spec = GutenbergJobSpecSchema.parse({
    kind: 'gutenberg', catalog: catalogPath, mirror: server.urlVia(relay.hostPort), outDir, strategy: 'queue', workers: 2, attempts: 3, timeoutMs: 5000,
    selection: { ids: BOOKS.map((b) => ({ from: b, to: b })) },
  });
  const events: JobEvent[] = [];
  const before = relay.sent.length;
  const summary = await runGutenbergJob(spec, { ...createJobControl((e) => events.push(e)), hosts });
  const warnings = events.flatMap((e) => (e.kind === 'job:warning' ? [e.message] : []));
  return { summary, warnings, sent: relay.sent.slice(before).join('') };
}

describe('FTP lock-step verdict kept across jobs (pure-ftpd)', () => {
  it('a job that finds it remembers it; the next job starts lock-step without a probe', async () => {
    const dataDir = path.join(work, 'data');
    const key = ftpHostKey(server.urlVia(relay.hostPort))!;

    const first = await runJob(path.join(work, 'out1'), new HostMemory(dataDir));
    expect(first.summary.itemsDone).toBe(BOOKS.length);
    expect(count(first.sent, 'NOOP')).toBeGreaterThanOrEqual(1);
    expect(first.warnings.join('\n')).toMatch(/no command is sent during a transfer/);
    const stored = JSON.parse(await readFile(path.join(dataDir, 'hosts.json'), 'utf8')) as { lockStep: Record<string, { reason: string }> };
    expect(stored.lockStep[key]?.reason).toMatch(/500/);

    // A new memory read from disk: as the next CLI run or a restarted host would see it.
    const second = await runJob(path.join(work, 'out2'), new HostMemory(dataDir));
    expect(second.summary.itemsDone).toBe(BOOKS.length);
    expect(second.sent).toMatch(/RETR/);
    expect(count(second.sent, 'NOOP')).toBe(0);
    expect(second.warnings.join('\n')).not.toMatch(/no command is sent during a transfer/);
  });
});
