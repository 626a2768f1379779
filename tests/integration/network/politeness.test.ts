import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema, type GutenbergJobInput } from '../../../shared/job-spec';
import type { WorkerState } from '../../../shared/events';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { gutenbergDir, type MirrorBookSpec } from '../../harness';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';

const BOOKS: MirrorBookSpec[] = [
  ...Array.from({ length: 6 }, (_, i): MirrorBookSpec => ({ ebook: 4000 + i, files: ['-0.txt'], title: `Polite ${i}`, sizeBytes: 20_000 })),
  // No N-0.txt: its folder index is asked for (the request the 429 of the index test hits).
  { ebook: 4100, files: ['-8.txt'], title: 'Latin One', sizeBytes: 20_000 },
];
const textPath = (ebook: number) => `/${gutenbergDir(ebook)}/${ebook}-0.txt`;

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture(BOOKS);
});
afterAll(async () => {
  await fx?.cleanup();
});

async function run(name: string, input: Partial<GutenbergJobInput>) {
  const spec = GutenbergJobSpecSchema.parse({
    kind: 'gutenberg', catalog: fx.catalogPath, mirror: `http://127.0.0.1:${fx.http.port}/`, outDir: join(fx.dir, name), timeoutMs: 10_000, ...input,
  });
  const states = new Set<WorkerState>();
  const summary = await runGutenbergJob(spec, createJobControl((e) => {
    if (e.kind === 'job:frame') for (const w of e.frame.workers) states.add(w.state);
  }));
  return { summary, states };
}

describe('politeness toward an HTTP mirror', () => {
  it.each(['adaptive', 'queue'] as const)('429 with Retry-After: 2 waits that long, shown as waiting, then succeeds (%s)', async (strategy) => {
    const path = textPath(4002);
    fx.http.requests.length = 0;
    fx.http.hooks.failNext(path, 1, 429, { 'Retry-After': '2' });
    const { summary, states } = await run(`retry-after-${strategy}`, { workers: 2, strategy });
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(BOOKS.length);
    const asked = fx.http.requests.filter((r) => r.path === path);
    expect(asked.map((r) => r.status)).toEqual([429, 200]);
    // Times from the server's log: the second request came at least the 2 s asked after the 429.
    expect(asked[1]!.at - asked[0]!.at).toBeGreaterThanOrEqual(1990);
    expect(states.has('waiting')).toBe(true);
  });

  it.each(['adaptive', 'queue'] as const)('a 429 with Retry-After on a folder index waits too (%s)', async (strategy) => {
    const index = `/${gutenbergDir(4100)}/`;
    fx.http.requests.length = 0;
    fx.http.hooks.failNext(index, 1, 429, { 'Retry-After': '1' });
    const { summary } = await run(`retry-after-index-${strategy}`, { workers: 2, strategy });
    expect(summary.itemsDone).toBe(BOOKS.length);
    const asked = fx.http.requests.filter((r) => r.path === index);
    expect(asked.map((r) => r.status)).toEqual([429, 200]);
    expect(asked[1]!.at - asked[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('waits between requests (--wait): the server sees book requests spaced, all workers together', async () => {
    fx.http.requests.length = 0;
    const waitMs = 300;
    // The server runs in this process: a request it handles late (this process descheduled, a GC)
    // shortens the gap to the next one by that lateness, so the floors allow the loop's worst delay.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const { summary, states } = await run('wait', { workers: 3, strategy: 'adaptive', waitMs });
    loopDelay.disable();
    const lateMs = loopDelay.max / 1e6;
    expect(summary.status).toBe('succeeded');
    expect(summary.itemsDone).toBe(BOOKS.length);
    const times = fx.http.requests.filter((r) => r.path.endsWith('-0.txt')).map((r) => r.at).sort((a, b) => a - b);
    expect(times).toHaveLength(BOOKS.length); // one request per book: no pipelined batches under a wait
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // The jitter draws 0.5–1.5 × the wait; a little less at the server for delivery jitter, and at most
    // the loop's worst delay less (a late first request shortens only the span's start).
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(waitMs * 0.5 - 40 - lateMs);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(gaps.length * waitMs * 0.5 - 40 - lateMs);
    expect(states.has('waiting')).toBe(true);
  });
});
