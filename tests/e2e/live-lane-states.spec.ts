import type { JobEvent, TelemetryFrame, TimelineSpan, WorkerSnapshot } from '../../shared/events';
import { fakeHost } from './support/fake-host';
import { expect, shot, test } from './support/fixtures';

/**
 * What the live view says of lanes that wait (frames of a synthetic Gutenberg job, the page's host
 * replaced: the engine's side is tests/integration/gutenberg/waiting-to-clean.test.ts). A lane whose
 * book is downloaded and waits for room in the scrub stage showed 'downloading' with no byte moving,
 * and the stragglers put it first (stalled); at a cold start the header said the books downloaded
 * were "being cleaned" while the scrubber had cleaned none.
 */
test('a lane waiting to clean: its own state, colour and tooltip, no straggler; the header says what the run waits for', async ({ page, env }) => {
  const send = await fakeHost(page);
  await page.goto(env.serve.url);
  await expect(page.locator('body[data-ready="1"]')).toBeAttached();
  const event = (payload: JobEvent) => send({ t: 'event', name: 'job:event', payload });
  event({ kind: 'job:started', jobId: 'lanes', jobKind: 'gutenberg', strategy: 'adaptive', workers: 4, itemsTotal: 20, outDir: '/tmp/lanes' });
  await page.getByTestId('nav-live').click();

  const lane = (id: number, state: WorkerSnapshot['state'], item: string): WorkerSnapshot => ({ id, state, item, itemBytes: 0, itemTotal: 50_000, bytesDone: 0, itemsDone: 0, itemsFailed: 0, retries: 0, busyMs: 0 });
  // Lanes 0 and 1 downloaded a book each (handed to cleaning) and fetch the next; lane 2's book is all in
  // from 1 s on and waits for room in the scrub stage; lane 3 holds back for the server's Retry-After.
  const workers = [lane(0, 'downloading', '100 A'), lane(1, 'downloading', '101 B'), lane(2, 'downloading', '102 C'), lane(3, 'waiting', '103 D')];
  for (let seq = 0; seq < 40; seq++) {
    const t = (seq + 1) * 100;
    const spans: TimelineSpan[] = [];
    if (seq === 5) {
      spans.push({ worker: 0, state: 'downloading', item: '100 A', start: 0, end: 500 }, { worker: 1, state: 'downloading', item: '101 B', start: 0, end: 500 });
      workers[0]!.item = '104 E';
      workers[1]!.item = '105 F';
      workers[0]!.itemBytes = workers[1]!.itemBytes = 0;
    }
    if (seq === 10) {
      spans.push({ worker: 2, state: 'downloading', item: '102 C', start: 0, end: 1000 });
      workers[2]!.state = 'waiting to clean';
    }
    for (const w of workers) {
      if (w.state !== 'downloading') continue;
      w.itemBytes += 1000;
      w.bytesDone += 1000;
    }
    for (const w of workers) w.busyMs = t;
    const frame: TelemetryFrame = {
      seq, t, itemsTotal: 20, itemsDone: 0, itemsFailed: 0, itemsSkipped: 0, bytesDone: workers.reduce((a, w) => a + w.bytesDone, 0), cleanBytes: 0, itemsCleaned: 0,
      bytesPerSec: 20_000, itemsPerSec: 0, activeWorkers: 4, paused: false, workers: workers.map((w) => ({ ...w })), spans,
    };
    event({ kind: 'job:frame', jobId: 'lanes', frame });
  }

  await expect(page.getByTestId('lane-2-state')).toHaveText('waiting to clean');
  await expect(page.getByTestId('lane-2-state')).toHaveAttribute('title', /room in the scrub stage/);
  await expect(page.getByTestId('lane-3-state')).toHaveAttribute('title', /Retry-After/);
  // On one line (its column fits the longest state), its book's bar full: all in.
  const height = async (id: number) => (await page.getByTestId(`lane-${id}-state`).boundingBox())!.height;
  expect(await height(2)).toBe(await height(0));
  await expect(page.getByTestId('lane-2').locator('.lane-bar span')).toHaveAttribute('style', /width: 100%/);
  await expect(page.getByTestId('lane-2').locator('.lane-bar span')).not.toHaveClass(/indeterminate/);
  await expect(page.getByTestId('gantt-legend-waiting-to-clean')).toBeVisible();
  // Two books handed on (lanes 0 and 1) and lane 2's, all in: none cleaned yet, one lane waits for room.
  await expect(page.getByTestId('run-downloaded')).toHaveText('3 downloaded, 3 waiting for the scrubber (none cleaned yet); 1 worker waiting to clean');
  // The stragglers: the two transfers (by rate) and the lane waiting for the server (by time), not lane 2.
  const stragglers = page.getByTestId('stragglers');
  await expect(stragglers).toHaveAttribute('data-groups', JSON.stringify({ rate: 2, time: 1 }));
  expect(JSON.parse((await stragglers.getAttribute('data-top'))!)).not.toMatchObject({ worker: 2 });
  await shot(page, 'live-waiting-to-clean');

  // Finished: the header says what the waits added up to (the summary's scrubStage).
  event({
    kind: 'job:finished', jobId: 'lanes',
    summary: {
      jobId: 'lanes', kind: 'gutenberg', strategy: 'adaptive', workers: 4, status: 'succeeded', itemsTotal: 20, itemsDone: 20, itemsFailed: 0, itemsSkipped: 0,
      bytes: 1_000_000, wallMs: 6000, throughput: 166_000, workerBusy: [1, 1, 1, 1], failures: [], outDir: '/tmp/lanes', startedAt: '2026-01-01T00:00:00Z',
      scrubStage: { bound: 8, blockedMs: 4200, peakInFlight: 8 },
    },
  });
  await expect(page.getByTestId('run-clean-wait')).toHaveText('Workers waited 4.2 s in all for room in the scrub stage (up to 8 books, its bound): cleaning was the bottleneck.');
  await expect(page.getByTestId('run-downloaded')).toHaveCount(0);
});
