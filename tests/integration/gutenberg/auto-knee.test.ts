import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import type { AutoWorkersDecision, JobEvent } from '../../../shared/events';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { HostMemory } from '../../../electron/engine/jobs/host-memory';
import { startTcpProxy, type MirrorBookSpec, type TcpProxy } from '../../harness';
import { CLI_FROM_SOURCE_TEST_MS, runFanoutCli } from '../../harness/fanout-cli';
import { startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

// Small books behind 50 ms of round trip: round trips, not bandwidth, so the first job measures several windows,
// and enough of them that the second, starting at the first one's knee (up to 32), reads a window of its own.
const COUNT = 480;
const BOOKS: MirrorBookSpec[] = Array.from({ length: COUNT }, (_, i) => ({ ebook: 6000 + i, files: ['-0.txt'], sizeBytes: 3_000 }));

let fx: GutenbergFixture;
let proxy: TcpProxy;
beforeAll(async () => {
  fx = await startGutenbergFixture(BOOKS);
  proxy = await startTcpProxy({ targetPort: fx.http.port, delayMs: 25 });
});
afterAll(async () => {
  await proxy?.stop();
  await fx?.cleanup();
});

interface StoredKnee { workers: number; climbing: boolean; since: string }

describe('gutenberg --workers auto remembers its knee per server', () => {
  it('the first auto job keeps the N it found in hosts.json; the next one (CLI) starts there and says so', async () => {
    const dataDir = join(fx.dir, 'data');
    const mirror = `http://127.0.0.1:${proxy.port}`;
    const key = `http://127.0.0.1:${proxy.port}`;
    const events: JobEvent[] = [];
    const spec = GutenbergJobSpecSchema.parse({ kind: 'gutenberg', catalog: fx.catalogPath, mirror, workers: 32, autoWorkers: true, strategy: 'queue', outDir: join(fx.dir, 'first') });
    const first = await runGutenbergJob(spec, { ...createJobControl((e) => events.push(e)), hosts: new HostMemory(dataDir) });
    expect(first.status).toBe('succeeded');
    expect(first.itemsDone).toBe(COUNT);
    const ds: AutoWorkersDecision[] = events.flatMap((e) => (e.kind === 'job:workers' ? [e.decision] : []));
    expect(ds[0]).toMatchObject({ action: 'start', workers: 4 });
    const stored = JSON.parse(await readFile(join(dataDir, 'hosts.json'), 'utf8')) as { autoKnees: Record<string, StoredKnee> };
    const knee = stored.autoKnees[key]!;
    expect(knee).toMatchObject({ climbing: expect.any(Boolean) });
    // What the controller held: the last N it asked for when settled, never more than it ever asked for.
    expect(knee.workers).toBeLessThanOrEqual(Math.max(...ds.map((d) => d.workers)));
    if (!knee.climbing) expect(knee.workers).toBe(ds.at(-1)!.workers);

    const r = await runFanoutCli(
      ['gutenberg', '--catalog', fx.catalogPath, '--mirror', mirror, '--workers', 'auto', '--max-workers', '32', '--strategy', 'queue', '--out', join(fx.dir, 'second')],
      { env: { FANOUT_DATA_DIR: dataDir }, timeoutMs: CLI_FROM_SOURCE_TEST_MS - 30_000 },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`SUCCEEDED: ${COUNT} books done`));
    const said = r.stderr.split('\n').filter((l) => l.includes('starting at'));
    expect(said).toHaveLength(1);
    const found = knee.climbing ? `was still climbing at ${knee.workers} when it ended on` : `settled at ${knee.workers} on`;
    expect(said[0]).toMatch(new RegExp(`workers ${knee.workers} \\(starting at ${knee.workers}: the last auto job to ${key.replace(/[.]/g, '\\.')} ${found} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC; still measuring\\)`));
    // The second job kept its own finding (a newer entry for the same server).
    const after = JSON.parse(await readFile(join(dataDir, 'hosts.json'), 'utf8')) as { autoKnees: Record<string, StoredKnee> };
    expect(Date.parse(after.autoKnees[key]!.since)).toBeGreaterThan(Date.parse(knee.since));
    // A job of 480 books and a CLI started from the sources: over 60 s under load (two busy loops + two
    // other vitest runs, load ~24), where nothing was wrong.
  }, CLI_FROM_SOURCE_TEST_MS);
});
