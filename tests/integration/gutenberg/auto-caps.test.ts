import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import type { AutoWorkersDecision, JobEvent } from '../../../shared/events';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import type { MirrorBookSpec } from '../../harness';
import { startGutenbergFixture, type GutenbergFixture } from './gutenberg-fixture';

// Issue 13 item 5: --workers auto under a bandwidth cap. Books of 20 KB under a 200 KiB/s cap: four
// connections on loopback already fill the cap many times over, so more cannot help.
const COUNT = 40;
const BOOKS: MirrorBookSpec[] = Array.from({ length: COUNT }, (_, i) => ({ ebook: 6000 + i, files: ['-0.txt'], sizeBytes: 20_000 }));
const CAP = 200 * 1024;

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture(BOOKS);
});
afterAll(async () => {
  await fx?.cleanup();
});

describe('--workers auto under a bandwidth cap (HTTP)', () => {
  it('does not climb past its start, or stops right after the first step, saying it is at the cap', async () => {
    const events: JobEvent[] = [];
    const spec = GutenbergJobSpecSchema.parse({
      kind: 'gutenberg', catalog: fx.catalogPath, mirror: fx.http.url, selection: { ids: [{ from: 6000, to: 6000 + COUNT - 1 }] },
      workers: 32, autoWorkers: true, strategy: 'queue', limitRate: CAP, outDir: join(fx.dir, 'capped'),
    });
    const summary = await runGutenbergJob(spec, createJobControl((e) => events.push(e)));
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(COUNT);
    const ds: AutoWorkersDecision[] = events.flatMap((e) => (e.kind === 'job:workers' ? [e.decision] : []));
    expect(ds[0]).toMatchObject({ action: 'start', workers: 4 });
    // At most one step up, and the decision after it (or after the start) settles at the cap.
    const adds = ds.filter((d) => d.action === 'add');
    expect(adds.length).toBeLessThanOrEqual(1);
    expect(ds).toHaveLength(adds.length + 2);
    expect(ds.at(-1)!.why).toMatch(/bandwidth cap \(205 kB\/s\)/);
    for (const d of ds) expect(d.workers).toBeLessThanOrEqual(adds.length ? adds[0]!.workers : 4);
  });
});
