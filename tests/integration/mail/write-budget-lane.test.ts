/**
 * A mail lane whose FETCH waits for room in the job's write budget (its messages received, their
 * writes in flight at the budget: the disk is the bottleneck) showed 'downloading' with no byte
 * moving, and the live view's stragglers (ranked by rate among the transfers) put it first as
 * stalled. It shows 'writing' while it waits, and 'downloading' again once its FETCH goes on.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { runMailJob } from '../../../electron/engine/mail/run-mail-job';
import { JobWrites } from '../../../electron/engine/mail/mail-worker';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { JobEvent, WorkerSnapshot } from '../../../shared/events';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';

let bed: MailTestBed<DovecotServer>;
const jobWrites = JobWrites.prototype as unknown as { fits(own: number, size: number): boolean };
const store = FolderStore.prototype as unknown as { writeMessage(...args: unknown[]): Promise<unknown> };
const fits = jobWrites.fits;
const writeMessage = store.writeMessage;

beforeAll(async () => {
  bed = await openMailTestBed(() => startDovecot(), { tmpPrefix: 'fanout-write-budget-lane-', folders: [{ path: 'INBOX', count: 40 }] });
}, 60_000);
afterAll(async () => {
  jobWrites.fits = fits;
  store.writeMessage = writeMessage;
  await bed?.stop();
});

it("a lane waiting for the job's write budget says 'writing', not 'downloading'", async () => {
  // A budget of one write in flight per connection, and the writes held until the test lets them go:
  // the FETCH's second message must wait for the first one's write.
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  jobWrites.fits = (own: number) => own === 0;
  store.writeMessage = async function (this: unknown, ...args: unknown[]) {
    await opened;
    return writeMessage.apply(this, args);
  };
  const seen: Array<Pick<WorkerSnapshot, 'state' | 'item'>> = [];
  let released = false;
  const control = createJobControl((e: JobEvent) => {
    if (e.kind !== 'job:frame' || released) return;
    const w = e.frame.workers[0];
    if (!w || w.item === null || !/^INBOX/.test(w.item)) return;
    seen.push({ state: w.state, item: w.item });
    // Released only once it says it waits to write (never: the test fails on its timeout, no time bound here).
    if (w.state === 'writing') {
      released = true;
      open();
    }
  });
  try {
    const summary = await runMailJob({ kind: 'mail', account: bed.account(), outDir: bed.out, connections: 1, strategy: 'adaptive', folders: ['INBOX'], timeoutMs: 10_000 }, control);
    expect(summary.failures).toEqual([]);
    expect(summary.itemsDone).toBe(40);
    expect(seen.at(-1)).toMatchObject({ state: 'writing', item: expect.stringMatching(/^INBOX/) });
  } finally {
    jobWrites.fits = fits;
    store.writeMessage = writeMessage;
  }
}, 60_000);
