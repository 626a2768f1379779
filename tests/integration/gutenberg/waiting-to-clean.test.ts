import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JobEvent, WorkerSnapshot } from '../../../shared/events';
import { GutenbergJobSpecSchema } from '../../../shared/job-spec';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { runGutenbergJob } from '../../../electron/engine/gutenberg/run-gutenberg-job';
import { startNginxServer, startPureFtpd } from '../../harness';
import { booksFixture, type BooksFixture } from './refusing-front';

/**
 * The scrub pool, gated: no book is cleaned until the test opens the gate (then the real pool
 * cleans them all). With the scrub stage bounded to one book, the second book downloaded must wait
 * for room, and its lane must say so.
 */
const gate = vi.hoisted(() => {
  const g = { opened: Promise.resolve(), open: () => {}, shut: () => {} };
  g.shut = () => {
    g.opened = new Promise<void>((resolve) => {
      g.open = resolve;
    });
  };
  return g;
});
vi.mock('../../../electron/engine/gutenberg/scrub-pool-lease', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../electron/engine/gutenberg/scrub-pool-lease')>();
  return {
    ...real,
    leaseScrubPool: (...args: Parameters<typeof real.leaseScrubPool>) => {
      const lease = real.leaseScrubPool(...args);
      return {
        warm: () => lease.warm(),
        release: () => lease.release(),
        scrub: async (...a: Parameters<typeof lease.scrub>) => {
          await gate.opened;
          return lease.scrub(...a);
        },
      };
    },
  };
});

/**
 * A lane whose book is downloaded but waits for room in the scrub stage (the stage holds as many
 * books as it may: cleaning is the bottleneck) showed `downloading` with no byte moving, and the
 * live view's stragglers (ranked by rate among the transfers) put it first. It shows
 * `waiting to clean` (shared/events.ts), and a download still moving bytes on that lane (a batch's
 * next book) is shown as such until it ends.
 */
const BOOKS = [4100, 4101, 4102];
let fx: BooksFixture;
const urls: Record<string, string> = {};
const stops: Array<() => Promise<void>> = [];
beforeAll(async () => {
  fx = await booksFixture('fanout-waiting-to-clean-', BOOKS, { sizeBytes: 20_000 });
  const [nginx, pure] = await Promise.all([startNginxServer({ root: fx.mirror.root }), startPureFtpd({ root: fx.mirror.root })]);
  stops.push(() => nginx.stop(), () => pure.stop());
  urls.nginx = `${nginx.url}/`;
  urls['pure-ftpd'] = `${pure.url}/`;
}, 60_000);
afterAll(async () => {
  await Promise.allSettled(stops.map((s) => s()));
  await fx?.cleanup();
});

/** What lane 0 showed while the gate was shut, frame by frame, once a later book was its item. */
async function laneWhileGated(server: string, strategy: 'adaptive' | 'queue', name: string) {
  const seen: Array<Pick<WorkerSnapshot, 'state' | 'item' | 'itemBytes' | 'itemTotal'>> = [];
  let opened = false;
  const spec = GutenbergJobSpecSchema.parse({
    kind: 'gutenberg', catalog: fx.catalogPath, mirror: urls[server], outDir: path.join(fx.work, name),
    workers: 1, strategy, attempts: 2, timeoutMs: 10_000, selection: {}, scrubQueue: 1,
  });
  const spans: string[] = [];
  gate.shut();
  const control = createJobControl((e: JobEvent) => {
    if (e.kind !== 'job:frame') return;
    for (const s of e.frame.spans) spans.push(s.state);
    const w = e.frame.workers[0];
    if (opened || !w || w.item === null) return;
    // The first book is with the (gated) scrubber; a later one is the lane's now.
    if (Number(/^\d+/.exec(w.item)?.[0]) === BOOKS[0]) return;
    seen.push({ state: w.state, item: w.item, itemBytes: w.itemBytes, itemTotal: w.itemTotal });
    // Opened once it says it waits (never: the test times out, as it did before the state existed).
    if (w.state === 'waiting to clean') {
      opened = true;
      gate.open();
    }
  });
  const summary = await runGutenbergJob(spec, control);
  return { summary, seen, spans };
}

describe('a lane waiting for room in the scrub stage', () => {
  it.each([
    ['nginx', 'queue'],
    ['nginx', 'adaptive'],
    ['pure-ftpd', 'adaptive'],
  ] as const)('%s, %s: says "waiting to clean", not "downloading"', async (server, strategy) => {
    const r = await laneWhileGated(server, strategy, `${server}-${strategy}`);
    expect(r.summary.status).toBe('succeeded');
    expect(r.summary.itemsDone).toBe(BOOKS.length);
    expect(r.seen.length).toBeGreaterThan(0);
    // The last frame before the gate opened: the lane waits to clean a later book (before: 'downloading'
    // over HTTP and FTP batches, all its bytes in and none moving; 'cleaning' for a single book).
    expect(r.seen.at(-1)).toMatchObject({ state: 'waiting to clean', item: expect.stringMatching(/^41\d\d Book 41\d\d$/) });
    expect(r.spans).toContain('waiting to clean');
  }, 60_000);
});
