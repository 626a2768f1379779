import { describe, expect, it } from 'vitest';
import type { TelemetryFrame, WorkerSnapshot } from '../../../shared/events';
import { createProgressDisplay } from '../../../electron/cli/progress-display';

const lane = (id: number, state: WorkerSnapshot['state']): WorkerSnapshot => ({
  id, state, item: state === 'idle' ? null : `${id} Book`, itemBytes: 0, itemTotal: null, bytesDone: 0, itemsDone: 0, itemsFailed: 0, retries: 0, busyMs: 0,
});

/** The status line printed without a TTY says how many lanes a later stage holds (books waiting for cleaning, messages for the disk). */
describe('the status line without a TTY', () => {
  it('counts the lanes waiting to clean or writing among the busy ones', async () => {
    const out: string[] = [];
    const stream = { isTTY: false, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream;
    const display = await createProgressDisplay({ stream });
    const frame: TelemetryFrame = {
      seq: 1, t: 2500, itemsTotal: 10, itemsDone: 1, itemsFailed: 0, itemsSkipped: 0, bytesDone: 1000, cleanBytes: 0, itemsCleaned: 0,
      bytesPerSec: 0, itemsPerSec: 0, activeWorkers: 3, paused: false, spans: [],
      workers: [lane(0, 'waiting to clean'), lane(1, 'waiting to clean'), lane(2, 'downloading'), lane(3, 'idle'), lane(4, 'writing')],
    };
    display.onEvent({ kind: 'job:frame', jobId: 'j', frame });
    expect(out.join('')).toContain('4/5 workers busy (2 waiting to clean, 1 writing), 0 failed');
    frame.t = 5000;
    frame.workers = [lane(0, 'downloading'), lane(1, 'idle')];
    display.onEvent({ kind: 'job:frame', jobId: 'j', frame });
    expect(out.at(-1)).toContain('1/2 workers busy, 0 failed');
  });
});
