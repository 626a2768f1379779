import { describe, expect, it } from 'vitest';
import { AutoWorkersController } from '../../../electron/engine/core/auto-workers';
import type { AutoWorkersOptions, AutoWorkersSample } from '../../../electron/engine/core/auto-workers-options';
import type { AutoWorkersDecision } from '../../../shared/events';

const PER_CONN = 2_000_000;

/**
 * Drives a controller as the pool does (a tick every 50 ms) against a server whose sessions take
 * `setUpMs` to log in (then the pool counts a set-up), `firstByteMs` from opening to their first
 * bytes, and then finish 10 items a second, each waiting `waitShare` of its time.
 */
function drive(opts: AutoWorkersOptions, server: { setUpMs: number; firstByteMs: number; rate(moving: number): number; waitShare: number }, maxMs = 6_000) {
  const c = new AutoWorkersController(opts);
  const decisions: AutoWorkersDecision[] = [c.startDecision()];
  let opened: number[] = [];
  let bytes = 0;
  let items = 0;
  let setUps = 0;
  let counted = 0;
  for (let t = 0; t <= maxMs; t += 50) {
    while (opened.length < c.target) opened.push(t);
    opened = opened.slice(0, c.target);
    // Each session's set-up counts once, when it is logged in (as FirstByteTimes' `ready`).
    const ready = opened.filter((at) => t - at >= server.setUpMs).length;
    if (ready > counted) {
      setUps += ready - counted;
      counted = ready;
    }
    const moving = opened.filter((at) => t - at >= server.firstByteMs).length;
    bytes += server.rate(moving) / 20;
    items += moving / 2;
    const done = Math.floor(items);
    const d = c.observe({ atMs: t, bytes, items: done, transferring: moving, waitMs: done * 100 * server.waitShare, transferMs: done * 100 * (1 - server.waitShare), setUpMs: setUps * server.setUpMs, setUps });
    if (d) decisions.push(d);
  }
  return { c, decisions, adds: decisions.filter((d) => d.action === 'add') };
}

const sample = (atMs: number, more: Partial<AutoWorkersSample> = {}): AutoWorkersSample => ({ atMs, bytes: 0, items: 0, transferring: 0, waitMs: 0, transferMs: 0, setUpMs: 0, setUps: 0, ...more });

describe('--workers auto: the first step taken from the sessions\' set-up (logins of several round trips)', () => {
  it('two sessions that took 120 ms to log in, nothing finished yet: × 4 at once, then the jump sized from the items\' waits', () => {
    const { adds } = drive({ start: 4, max: 32, sizeFirstStep: true }, { setUpMs: 120, firstByteMs: 300, rate: (m) => m * PER_CONN, waitShare: 0.9 });
    expect(adds[0]).toMatchObject({ workers: 16, atMs: 150 });
    expect(adds[0]!.why).toMatch(/^4 sessions took 120 ms each to set up, before any byte \(round trips: latency\); trying 16 at once$/);
    // The items' waits (90 %) then size the next step from 16, before any window.
    expect(adds[1]).toMatchObject({ workers: 32 });
    expect(adds[1]!.why).toMatch(/items waited 90 % of their time for a first byte \(16 connections\)/);
    expect(adds[1]!.atMs).toBeLessThan(500);
  });

  it('only once, only before any item finished, only from two set-ups of 40 ms or more', () => {
    const c = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    c.observe(sample(0));
    expect(c.observe(sample(50, { setUps: 1, setUpMs: 100 }))).toBeNull(); // one session: not yet
    expect(c.observe(sample(100, { setUps: 2, setUpMs: 200 }))).toMatchObject({ action: 'add', workers: 16 });
    c.observe(sample(150, { setUps: 4, setUpMs: 400 }));
    expect(c.observe(sample(200, { setUps: 16, setUpMs: 1_600 }))).toBeNull(); // taken once
    // Set-ups of a few ms (a server on this machine; HTTP, whose session is ready before it connects): no step.
    const quick = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    quick.observe(sample(0));
    expect(quick.observe(sample(50, { setUps: 4, setUpMs: 4 * 30 }))).toBeNull();
    // Items finished already: their waits say more than the logins (here they mostly transferred: no step yet).
    const busy = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    busy.observe(sample(0));
    expect(busy.observe(sample(300, { items: 2, waitMs: 120, transferMs: 80, setUps: 4, setUpMs: 4 * 100 }))).toBeNull();
  });

  it('sessions still logging in count with their time so far; each early step is taken at the first tick with its evidence', () => {
    // An FTP login through 50 ms of round trips is still going at the first tick (50 ms): 4 sessions at 47 ms so far.
    const c = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    const step = c.observe(sample(50, { settingUp: 4, settingUpMs: 4 * 47 }));
    expect(step).toMatchObject({ action: 'add', workers: 16, atMs: 50 });
    expect(step!.why).toBe('4 sessions have taken 47 ms each so far (4 still logging in) to set up, before any byte (round trips: latency); trying 16 at once');
    // The next tick, two items done that mostly waited: the jump sized from their waits, at once (not one tick later).
    expect(c.observe(sample(100, { items: 2, waitMs: 190, transferMs: 10, setUps: 16, setUpMs: 16 * 80 }))).toMatchObject({ action: 'add', workers: 32, atMs: 100 });
    // Finished and pending set-ups together; sessions just opened (a few ms so far) pull the mean down.
    const mixed = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    expect(mixed.observe(sample(50, { setUps: 1, setUpMs: 45, settingUp: 3, settingUpMs: 3 * 10 }))).toBeNull();
    expect(mixed.observe(sample(100, { setUps: 1, setUpMs: 45, settingUp: 3, settingUpMs: 3 * 60 }))).toMatchObject({ workers: 16 });
    // One session alone is no evidence; nor is any item finished (its waits say more).
    const one = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    expect(one.observe(sample(50, { settingUp: 1, settingUpMs: 200 }))).toBeNull();
    expect(one.observe(sample(100, { items: 1, waitMs: 50, transferMs: 50, settingUp: 3, settingUpMs: 300 }))).toBeNull();
  });

  it('not for mail, a remembered knee, a bandwidth cap; never past the maximum or a known limit', () => {
    const setUp = { setUps: 4, setUpMs: 4 * 120 };
    const first = (opts: AutoWorkersOptions, more: Partial<AutoWorkersSample> = {}) => {
      const c = new AutoWorkersController(opts);
      c.observe(sample(0, more));
      return c.observe(sample(150, { ...setUp, ...more }));
    };
    expect(first({ start: 4, max: 32 })).toBeNull(); // mail: not asked to size its first step
    expect(first({ start: 8, max: 32, fromKnee: true, sizeFirstStep: true })).toBeNull();
    expect(first({ start: 4, max: 32, sizeFirstStep: true }, { rateCap: 100_000_000 })).toBeNull();
    expect(first({ start: 4, max: 8, sizeFirstStep: true })).toMatchObject({ workers: 8 });
    expect(first({ start: 4, max: 32, limit: 6, sizeFirstStep: true })).toMatchObject({ workers: 6 });
    expect(first({ start: 4, max: 32, limit: 3, sizeFirstStep: true })).toBeNull(); // already at the limit
  });

  it('a refusal after the set-up step, before the sessions finished items: the sessions logged in are what the server holds', () => {
    // vsftpd limited to 6: the step to 16 is refused from connection 7 on, as soon as a first byte
    // came (the pool then retires the refused), while only 1 session has finished an item.
    const c = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    c.observe(sample(0));
    expect(c.observe(sample(150, { setUps: 4, setUpMs: 4 * 150 }))).toMatchObject({ workers: 16 });
    c.observe(sample(300, { setUps: 6, setUpMs: 6 * 150, items: 1, bytes: 3_000 }));
    expect(c.refused(320, 1, 0, 6)).toMatchObject({ action: 'back-off', workers: 6 });
    expect(c.limit).toBe(6);
    // Without a set-up step (the sessions' count says nothing then, e.g. HTTP's, ready before they connect): as told.
    const plain = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    plain.observe(sample(0));
    plain.observe(sample(50, { setUps: 4, setUpMs: 4 }));
    plain.refused(100, 3, 0, 4);
    expect(plain.limit).toBe(3);
  });

  it('a set-up step past the knee (4; the items then mostly transfer): held, then measured below it down to the knee', () => {
    const { c, decisions } = drive({ start: 4, max: 32, sizeFirstStep: true }, { setUpMs: 100, firstByteMs: 200, rate: (m) => Math.min(m, 4) * PER_CONN, waitShare: 0.5 });
    expect(decisions[1]).toMatchObject({ action: 'add', workers: 16 });
    // The last knee found (a flat step from 16 to 32 reads 16 first; held, then measured below).
    const knee = decisions.filter((d) => /the knee is/.test(d.why)).at(-1);
    expect(knee).toMatchObject({ workers: 4 });
    expect(c.target).toBe(4);
  });
});
