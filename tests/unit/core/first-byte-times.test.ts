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

  it('sums each lane\'s first set-up (start → its session ready, before any byte), once per lane; a retried one is left out', () => {
    let now = 0;
    const times = new FirstByteTimes(() => now);
    const a = times.lane();
    a.started();
    now = 120;
    a.ready(); // logged in: 120 ms of round trips
    now = 130;
    a.ready(); // a second state change of the same item: counted once
    expect([times.setUpMs, times.setUps]).toEqual([120, 1]);
    now = 200;
    a.bytes(10);
    a.ended();
    // The same lane's next item (its session already open) adds no set-up.
    a.started();
    now = 210;
    a.ready();
    expect([times.setUpMs, times.setUps]).toEqual([120, 1]);
    // Another lane whose opening was retried (a backoff is no latency of the server's): left out.
    const b = times.lane();
    b.started();
    b.retried();
    now = 2_000;
    b.ready();
    // A third that was ready only after its first byte (HTTP: no set-up to speak of before it): left out.
    const c = times.lane();
    c.started();
    now = 2_050;
    c.bytes(5);
    c.ready();
    expect([times.setUpMs, times.setUps]).toEqual([120, 1]);
    const d = times.lane();
    d.started();
    now = 2_130;
    d.ready();
    expect([times.setUpMs, times.setUps]).toEqual([200, 2]);
    // Logged in now: the counted lanes until they close (b and c were never counted).
    expect([times.setUpsNow, a.counted(), b.counted()]).toEqual([2, true, false]);
    // Logged in now, for a refusal's reading: every lane whose session logged in or moved bytes (b and c hold connections too).
    expect([times.loggedInNow, b.loggedIn(), c.loggedIn()]).toEqual([4, true, true]);
    a.closed();
    b.closed();
    a.closed();
    expect([times.setUpsNow, times.setUps, times.loggedInNow]).toEqual([1, 2, 2]);
  });
  it('counts the sessions setting up now with their time so far (first item started, not ready, no byte, not retried)', () => {
    let now = 0;
    const times = new FirstByteTimes(() => now);
    const [a, b, c, d] = [times.lane(), times.lane(), times.lane(), times.lane()];
    a.started();
    b.started();
    now = 10;
    c.started();
    d.started();
    now = 50;
    expect(times.settingUp()).toEqual({ count: 4, ms: 50 + 50 + 40 + 40 });
    a.ready(); // logged in: no longer setting up, counted in setUps
    b.retried(); // a backoff is no latency of the server's
    c.bytes(5); // ready only after its first byte (HTTP): no set-up
    expect(times.settingUp()).toEqual({ count: 1, ms: 40 });
    d.closed(); // the worker left
    expect(times.settingUp()).toEqual({ count: 0, ms: 0 });
    // A lane's later items (its session set up) never count.
    a.ended();
    a.started();
    now = 500;
    expect(times.settingUp()).toEqual({ count: 0, ms: 0 });
    expect([times.setUps, times.setUpMs]).toEqual([1, 50]);
  });
});
