import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScrubStage, type ScrubService, type ScrubTask } from '../../../electron/engine/gutenberg/scrub-stage';
import type { ScrubResult } from '../../../electron/engine/scrub/scrub-types';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-stage-'));
  await writeFile(join(dir, 'raw.txt'), 'text');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A scrubber that answers only when told to: the test decides when room frees up. */
function heldService(): { service: ScrubService; release(): void; pending(): number } {
  const waiting: Array<() => void> = [];
  return {
    service: { scrub: () => new Promise<ScrubResult>((done) => waiting.push(() => done({} as ScrubResult))) },
    release: () => waiting.shift()?.(),
    pending: () => waiting.length,
  };
}

function task(finished: number[], ebook: number): ScrubTask {
  return { ebook, rawPath: join(dir, 'raw.txt'), cleanPath: join(dir, 'clean.txt'), finish: async () => void finished.push(ebook), fail: async () => {} };
}

describe('ScrubStage stats', () => {
  it('counts the time a submit waited for room and never holds more than its bound', async () => {
    const held = heldService();
    const stage = new ScrubStage(held.service, { maxInFlight: 1, signal: new AbortController().signal });
    const finished: number[] = [];
    await stage.submit(task(finished, 1));
    const second = stage.submit(task(finished, 2)); // waits: the bound is reached
    await expect.poll(() => held.pending()).toBe(1);
    expect(stage.stats().blockedMs).toBe(0); // still waiting: counted when it gets room
    held.release();
    await second;
    await expect.poll(() => held.pending()).toBe(1);
    held.release();
    await stage.drain();
    expect(finished).toEqual([1, 2]);
    const stats = stage.stats();
    expect(stats).toMatchObject({ bound: 1, peakInFlight: 1 });
    expect(stats.blockedMs).toBeGreaterThan(0);
  });

  it('reports no bound and every book in flight when unbounded', async () => {
    const held = heldService();
    const stage = new ScrubStage(held.service, { maxInFlight: Infinity, signal: new AbortController().signal });
    const finished: number[] = [];
    for (let i = 0; i < 5; i++) await stage.submit(task(finished, i));
    await expect.poll(() => held.pending()).toBe(5);
    for (let i = 0; i < 5; i++) held.release();
    await stage.drain();
    expect(stage.stats()).toEqual({ bound: null, blockedMs: 0, peakInFlight: 5 });
  });
});
