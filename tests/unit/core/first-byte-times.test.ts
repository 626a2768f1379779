import { describe, expect, it } from 'vitest';
import { FirstByteTimes } from '../../../electron/engine/core/first-byte-times';

describe('FirstByteTimes (auto\'s first step)', () => {
  it('sums each finished item\'s wait for its first byte and its transfer; items without bytes or retried are left out', () => {
    let now = 0;
    const times = new FirstByteTimes(() => now);
    const lane = times.lane();
    lane.started();
    now = 50;
    lane.bytes(100);
    now = 60;
    lane.bytes(100);
    now = 70;
    lane.ended();
    expect([times.waitMs, times.transferMs]).toEqual([50, 20]);
    // No bytes (a failure): nothing counted.
    lane.started();
    now = 500;
    lane.ended();
    // Retried (a backoff before its first byte is no latency of the server's): nothing counted.
    lane.started();
    now = 600;
    lane.retried();
    now = 2_600;
    lane.bytes(10);
    now = 2_610;
    lane.ended();
    expect([times.waitMs, times.transferMs]).toEqual([50, 20]);
    // The next item counts again.
    lane.started();
    now = 2_640;
    lane.bytes(10);
    now = 2_650;
    lane.ended();
    expect([times.waitMs, times.transferMs]).toEqual([80, 30]);
  });
});
