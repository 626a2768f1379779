import { describe, expect, it } from 'vitest';
import { JobTelemetry } from '../../../electron/engine/core/job-telemetry';
import { appendFrameToBuffers, downloadedFor, emptyBuffers, initialHeader } from '../../../renderer/src/stores/run-model';

/**
 * HE s19: a batch lane whose book A waits for room in the scrub stage (JobTelemetry.holdLane) shows
 * its next book B while B's bytes come in, then A again once B's bytes are all in. The live view's
 * ItemTracker reads each change of item as the lane moving on: A is counted handed on twice, and B
 * once while it is not handed on. The header's "N downloaded" (downloadedFor) then says 3 with two
 * books downloaded, and grows by one per alternation. The lane now keeps B (it waits to clean too,
 * behind A), and a book seen waiting to clean counts downloaded while it is the lane's item.
 */
class Clocked extends JobTelemetry {
  t = 0;
  override now(): number {
    return this.t;
  }
}

describe('a held book shown again after the next book\'s bytes are in', () => {
  it('is counted downloaded once', () => {
    const tel = new Clocked({ workers: 1, itemsTotal: 3 });
    const p = tel.worker(0);
    const b = emptyBuffers();
    const h = { ...initialHeader, kind: 'gutenberg' as const, status: 'running' as const };
    const frame = (t: number) => {
      tel.t = t;
      appendFrameToBuffers(b, tel.frame());
    };
    tel.t = 0;
    p.setState('downloading', '1 A');
    p.setItemTotal(10);
    frame(5);
    tel.t = 10;
    p.addBytes(10);
    tel.t = 20;
    const releaseA = tel.holdLane(0, 'waiting to clean', '1 A'); // the stage is full: A waits
    frame(25);
    tel.t = 30;
    p.setState('downloading', '2 B'); // the batch's next book
    p.setItemTotal(10);
    frame(35);
    tel.t = 40;
    p.addBytes(10); // B all in: the lane waits to clean, with B (its item does not go back to A)
    frame(45);
    expect(tel.frame().workers[0]).toMatchObject({ state: 'waiting to clean', item: '2 B' });
    frame(50);
    // Two books downloaded (A and B).
    expect(downloadedFor(h, b)).toBe(2);
    tel.t = 60;
    releaseA();
    frame(65);
    expect(downloadedFor(h, b)).toBe(2);
  });
});
