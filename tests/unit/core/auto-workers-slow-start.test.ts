import { describe, expect, it } from 'vitest';
import { AutoWorkersController } from '../../../electron/engine/core/auto-workers';
import type { AutoWorkersDecision } from '../../../shared/events';

interface Server {
  /** Job throughput (bytes/s) with `moving` connections moving bytes, at `t` ms. */
  rate(moving: number, t: number): number;
  /** ms from opening a connection to its first bytes (an FTP login is several round trips). */
  loginMs: number;
  /** Refuses connections beyond this many (the pool reports it held that many). */
  refuseAbove?: number;
  /** Connections that never move bytes (their login keeps failing), at most. */
  stuck?: number;
  /** Share of each tick the job waited for a CPU, at `t` ms (the pool's ticks fire that late). */
  lag?(t: number): number;
  /** Items each moving connection finishes per second (default 10). */
  itemsPerSec?: number;
  /** Share of each item's time spent waiting for its first byte (the pool's first-byte times; absent: not told). */
  waitShare?: number;
}

/**
 * Drives a controller the way the pool does, ticking every 50 ms: it opens what the controller asks
 * for, each connection moves bytes `loginMs` after it was opened and finishes 10 items a second;
 * the samples say how many connections move bytes (`transferring`).
 */
function drive(c: AutoWorkersController, server: Server, maxMs = 5_000, untilSettled = true) {
  const decisions: AutoWorkersDecision[] = [c.startDecision()];
  let opened: number[] = [];
  let bytes = 0;
  let items = 0;
  let lagMs = 0;
  let peak = 0;
  const record = (d: AutoWorkersDecision | null) => d && decisions.push(d);
  for (let t = 0; t <= maxMs && !(untilSettled && c.settled); t += 50) {
    if (server.refuseAbove !== undefined && c.target > server.refuseAbove) record(c.refused(t, server.refuseAbove));
    while (opened.length < c.target) opened.push(t);
    opened = opened.slice(0, c.target);
    peak = Math.max(peak, opened.length);
    const moving = Math.max(0, opened.filter((at) => t - at >= server.loginMs).length - (server.stuck ?? 0));
    bytes += server.rate(moving, t) / 20;
    items += (moving * (server.itemsPerSec ?? 10)) / 20;
    lagMs += (server.lag?.(t) ?? 0) * 50;
    const timed = server.waitShare === undefined ? {} : { waitMs: t * server.waitShare, transferMs: t * (1 - server.waitShare) };
    record(c.observe({ atMs: t, bytes, items: Math.floor(items), transferring: moving, lagMs, ...timed }));
  }
  return { decisions, peak, adds: decisions.filter((d) => d.action === 'add') };
}

const PER_CONN = 2_000_000;

describe('--workers auto: slow start, measured once the new connections move bytes', () => {
  it('a latency-bound server: 4 → 8 → 32 with one window per step, each step read in full despite slow logins', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    // FTP-like: 300 ms from opening a connection to its first bytes.
    const { decisions, adds } = drive(c, { rate: (m) => m * PER_CONN, loginMs: 300 });
    expect(adds.map((d) => d.workers)).toEqual([8, 32]);
    // The window at 8 starts once all 8 move bytes: the step reads as what it is (linear), not
    // diluted by connections still logging in.
    expect(adds[1]!.why).toMatch(/4 → 8 gained 100 %/);
    // Each step costs a login and a window (≥ 100 ms, N/2 items): at 32 well before a second.
    expect(adds[1]!.atMs).toBeLessThanOrEqual(900);
    expect(decisions.at(-1)).toMatchObject({ action: 'hold', workers: 32 });
  });

  it('a saturating server (knee at 6): jumps past it, reads the step as flat over a long window, goes back to 8', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    const { decisions, peak, adds } = drive(c, { rate: (m) => Math.min(m, 6) * PER_CONN, loginMs: 100 });
    // 4 → 8 gained 50 %: each connection kept 75 % of its throughput, so ×4.
    expect(adds.map((d) => d.workers)).toEqual([8, 32]);
    expect(peak).toBe(32);
    // Flat against a 100 ms reading at 8: back to 8, read over 300 ms, and that confirms the knee.
    const [back, last] = decisions.slice(-2) as [AutoWorkersDecision, AutoWorkersDecision];
    expect(back).toMatchObject({ action: 'back-off', workers: 8 });
    expect(back.why).toMatch(/8 → 32 gained 0 % against 1\d\d ms at 8: reading 8 again/);
    expect(last).toMatchObject({ action: 'hold', workers: 8 });
    expect(last.why).toMatch(/8 → 32 gained 0 % \(< 10 %\) against [3-9]\d\d ms at 8: the knee is 8/);
    // The stop was read over three windows (300 ms) after the 32 connections moved bytes.
    expect(back.atMs - adds[1]!.atMs).toBeGreaterThanOrEqual(100 + 300);
    expect(c.settled).toBe(true);
  });

  it('a step whose first short window reads flat (a dip) is read again over a longer one, and the climb goes on', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    let dipAt: number | null = null;
    const { adds } = drive(c, {
      loginMs: 100,
      rate: (m, t) => {
        // The first 100 ms with 8 connections moving: the machine is busy, 8 read as 4.
        if (m === 8) dipAt ??= t;
        return m === 8 && t - dipAt! < 100 ? 4 * PER_CONN : m * PER_CONN;
      },
    });
    // Over the longer window 8 read half again as much as 4 (each connection kept 75 %): ×4.
    expect(adds.map((d) => d.workers)).toEqual([8, 32]);
    expect(adds[1]!.why).toMatch(/4 → 8 gained 50 %/);
    expect(c.target).toBe(32);
  });

  it('a per-connection throughput that falls below 60 % on a step: ×2, not ×4', () => {
    // Throughput in connections' worth at 4, 8, 16 and 32 moving.
    const table = (x: Record<number, number>) => (m: number) => (x[m] ?? m) * PER_CONN;
    // 4 → 8 gains 25 %: each connection keeps 62.5 %, so ×4.
    const c = new AutoWorkersController({ start: 4, max: 32 });
    expect(drive(c, { rate: table({ 4: 4, 8: 5, 32: 6 }), loginMs: 100 }).adds.map((d) => d.workers)).toEqual([8, 32]);
    // 4 → 8 gains 15 %: each keeps 57.5 %, so ×2 (and 8 → 16 gains 13 %, then ×2 again).
    const c2 = new AutoWorkersController({ start: 4, max: 32 });
    const r2 = drive(c2, { rate: table({ 4: 4, 8: 4.6, 16: 5.2, 32: 6 }), loginMs: 100 });
    expect(r2.adds.map((d) => d.workers).slice(0, 2)).toEqual([8, 16]);
  });

  it('a server limited to 3: never holds more than 3 after the refusal, settles at 3', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    const { decisions } = drive(c, { rate: (m) => m * PER_CONN, loginMs: 200, refuseAbove: 3 });
    const refusal = decisions.findIndex((d) => /refused/.test(d.why));
    expect(refusal).toBeGreaterThan(0);
    for (const d of decisions.slice(refusal)) expect(d.workers).toBeLessThanOrEqual(3);
    expect(c.target).toBe(3);
    expect(c.settled).toBe(true);
  });

  it('a bandwidth cap: settles at the N that reaches 80 % of it, read over a long window', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    const cap = 10 * PER_CONN;
    let t0 = 0;
    const decisions: AutoWorkersDecision[] = [];
    let opened: number[] = [];
    let bytes = 0;
    let items = 0;
    for (let t = 0; t <= 5_000 && !c.settled; t += 50) {
      while (opened.length < c.target) opened.push(t);
      opened = opened.slice(0, c.target);
      const moving = opened.filter((at) => t - at >= 100).length;
      bytes += Math.min(moving * PER_CONN, cap) / 20;
      items += moving / 2;
      const d = c.observe({ atMs: t, bytes, items: Math.floor(items), transferring: moving, rateCap: cap });
      if (d) decisions.push(d);
      t0 = t;
    }
    // 4 → 8 (16 MB/s at 8: 80 % of the 20 MB/s cap): settled at 8.
    expect(decisions.map((d) => [d.action, d.workers])).toEqual([['add', 8], ['hold', 8]]);
    expect(decisions[1]!.why).toMatch(/bandwidth cap/);
    expect(t0).toBeLessThan(5_000);
  });

  it('a connection that never moves bytes does not stall the measuring: the window starts after a bounded warm-up', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    const { adds } = drive(c, { rate: (m) => m * PER_CONN, loginMs: 100, stuck: 1 }, 3_000);
    expect(adds.length).toBeGreaterThan(0);
    // 10 windows of 100 ms at most before each window.
    expect(adds[0]!.atMs).toBeLessThanOrEqual(100 + 1_000 + 300);
  });

  it('a knee read while the machine was busy is tried again later, and the climb goes on', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    // For the first second nothing scales (another job has the CPU), then the server is latency-bound.
    const { decisions } = drive(c, { rate: (m, t) => (t < 1_000 ? Math.min(m, 4) : m) * PER_CONN, loginMs: 100 }, 10_000, false);
    const backOff = decisions.findIndex((d) => d.action === 'back-off');
    expect(decisions[backOff]).toMatchObject({ workers: 4 });
    const retry = decisions.findIndex((d) => /trying the step past 4 again/.test(d.why));
    expect(retry).toBeGreaterThan(backOff);
    // Held 5 windows (0.5 s) before trying again.
    expect(decisions[retry]!.atMs - decisions[backOff]!.atMs).toBeGreaterThanOrEqual(500);
    expect(c.target).toBe(32);
  });

  it('a knee that holds is tried again less and less often, never above it for long', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    const { decisions } = drive(c, { rate: (m) => Math.min(m, 4) * PER_CONN, loginMs: 100 }, 20_000, false);
    const retries = decisions.filter((d) => /trying the step past 4 again/.test(d.why)).map((d) => d.atMs);
    // After 0.5 s, then 1, 2, 4 s of holding (each try reads 4 again over 300 ms): four in 20 s, each gap longer than the last.
    expect(retries.length).toBe(4);
    for (let i = 2; i < retries.length; i++) expect(retries[i]! - retries[i - 1]!).toBeGreaterThan(retries[i - 1]! - retries[i - 2]!);
    expect(decisions.at(-1)).toMatchObject({ action: 'hold', workers: 4 });
    expect(decisions.at(-1)!.why).toMatch(/the knee is 4/);
  });

  it('near a bandwidth cap a short window is not enough to step on (a token bucket reads ±20 % over 100 ms)', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    const cap = 1_000_000;
    c.observe({ atMs: 0, bytes: 0, items: 0, transferring: 4, rateCap: cap });
    c.observe({ atMs: 50, bytes: 0, items: 0, transferring: 4, rateCap: cap }); // the window starts
    // 60 % of the cap over 100 ms: far from it would step now; near it, waits for 300 ms.
    expect(c.observe({ atMs: 150, bytes: 60_000, items: 4, transferring: 4, rateCap: cap })).toBeNull();
    expect(c.observe({ atMs: 250, bytes: 120_000, items: 8, transferring: 4, rateCap: cap })).toBeNull();
    expect(c.observe({ atMs: 350, bytes: 180_000, items: 12, transferring: 4, rateCap: cap })).toMatchObject({ action: 'add', workers: 8 });
    // Far from a cap, 100 ms is enough.
    const free = new AutoWorkersController({ start: 4, max: 32 });
    free.observe({ atMs: 0, bytes: 0, items: 0, transferring: 4 });
    free.observe({ atMs: 50, bytes: 0, items: 0, transferring: 4 });
    expect(free.observe({ atMs: 150, bytes: 60_000, items: 4, transferring: 4 })).toMatchObject({ action: 'add', workers: 8 });
  });

  it('a step read flat while the job waited for a CPU (late ticks) is read again, and the climb goes on', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    // From 0.3 s to 1 s another process has the CPU: nothing scales and the ticks fire 40 % late.
    const busy = (t: number) => t >= 300 && t < 1_000;
    const { decisions, adds } = drive(c, { rate: (m, t) => (busy(t) ? Math.min(m, 4) : m) * PER_CONN, lag: (t) => (busy(t) ? 0.4 : 0), loginMs: 100 });
    expect(decisions.some((d) => d.action === 'back-off')).toBe(false);
    expect(adds.map((d) => d.workers)).toEqual([8, 32]);
    expect(adds[1]!.atMs).toBeGreaterThanOrEqual(1_000);
  });

  it('a real knee read in late windows (the job itself fills the CPU) backs off after two re-reads', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    // At 8 and more the job's own work fills the CPU: no gain, and the ticks fire late.
    const { decisions, adds } = drive(c, { rate: (m) => Math.min(m, 4) * PER_CONN, lag: (t) => (t >= 300 ? 0.4 : 0), loginMs: 100 });
    expect(adds.map((d) => d.workers)).toEqual([8]);
    const backOff = decisions.find((d) => d.action === 'back-off')!;
    expect(backOff).toMatchObject({ workers: 4 });
    // Three long windows (the first reading and two re-reads), each after a tick's warm-up.
    expect(backOff.atMs - adds[0]!.atMs).toBeGreaterThanOrEqual(3 * 300);
  });

  it('a step read flat against a short first reading that over-read (first responses arriving together) reads the start again and climbs', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    // Latency-bound, but the first 150 ms of transfer read twice the rate (a burst).
    const { decisions, adds } = drive(c, { rate: (m, t) => m * PER_CONN * (t < 250 ? 2 : 1), loginMs: 100 });
    const back = decisions.findIndex((d) => d.action === 'back-off');
    expect(decisions[back]).toMatchObject({ workers: 4 });
    expect(decisions[back]!.why).toMatch(/4 → 8 gained -?\d+ % against 1\d\d ms at 4: reading 4 again/);
    // Read over 300 ms, 4 moves half what 8 did: the step paid, and the climb goes on from 8 (×4).
    expect(adds.at(-1)).toMatchObject({ workers: 32 });
    expect(adds.at(-1)!.why).toMatch(/4 → 8 gained 100 %; trying 32/);
    expect(c.target).toBe(32);
    expect(decisions.some((d) => /knee/.test(d.why))).toBe(false);
  });
});

describe('--workers auto started at a remembered knee: measures below it after holding it', () => {
  const table = (knee: number) => (m: number) => Math.min(m, knee) * PER_CONN;
  /** The decisions until the first one that names a knee after the steps below (the later tries above are the usual probes). */
  const untilKnee = (ds: AutoWorkersDecision[]) => ds.slice(0, ds.findIndex((d) => /gains -?\d+ %: the knee is/.test(d.why)) + 1);

  it('the server got slower (knee 16 remembered, 4 now): holds 16, then steps down 8 → 4 → 2, and holds 4', () => {
    const c = new AutoWorkersController({ start: 16, max: 32, fromKnee: true });
    const ds = untilKnee(drive(c, { rate: table(4), loginMs: 100 }, 6_000, false).decisions);
    expect(ds.map((d) => [d.action, d.workers])).toEqual([['start', 16], ['add', 32], ['back-off', 16], ['hold', 16], ['back-off', 8], ['back-off', 4], ['back-off', 2], ['add', 4]]);
    expect(ds[4]!.why).toMatch(/^held 16, the knee remembered from an earlier job: trying 8$/);
    // The knee is held 0.5 s before the step below is tried.
    expect(ds[4]!.atMs - ds[3]!.atMs).toBeGreaterThanOrEqual(500);
    expect(ds[5]!.why).toMatch(/^8 → 16 gains 0 % \(< 10 %\): the server needs fewer now: trying 4$/);
    expect(ds.at(-1)!.why).toMatch(/^2 → 4 gains 100 %: the knee is 4$/);
    // Each step down is read over a long window (300 ms) once its connections move bytes.
    for (let i = 5; i < ds.length; i++) expect(ds[i]!.atMs - ds[i - 1]!.atMs).toBeGreaterThanOrEqual(300);
    expect(c.knee).toEqual({ workers: 4, climbing: false });
    // A first-contact start (not a remembered knee) at 16 would have held 16.
    const fresh = new AutoWorkersController({ start: 16, max: 32 });
    const f = drive(fresh, { rate: table(4), loginMs: 100 }, 6_000, false);
    expect(f.decisions.some((d) => d.workers < 16)).toBe(false);
  });

  it('a knee that still holds: one step below loses, back to it', () => {
    const c = new AutoWorkersController({ start: 16, max: 32, fromKnee: true });
    const ds = untilKnee(drive(c, { rate: table(16), loginMs: 100 }, 6_000, false).decisions);
    expect(ds.map((d) => d.workers)).toEqual([16, 32, 16, 16, 8, 16]);
    expect(ds.at(-1)!.why).toMatch(/^8 → 16 gains 100 %: the knee is 16$/);
  });

  it('a knee at the maximum or at the server\'s limit is read below too: its hold over a long window, then half', () => {
    const atMax = new AutoWorkersController({ start: 32, max: 32, fromKnee: true });
    const r = untilKnee(drive(atMax, { rate: table(8), loginMs: 100 }, 6_000, false).decisions);
    expect(r.map((d) => d.workers)).toEqual([32, 32, 16, 8, 4, 8]);
    // The hold at 32 was read over 300 ms after its connections moved bytes (login 100 ms + a tick).
    expect(r[1]).toMatchObject({ action: 'hold' });
    expect(r[1]!.atMs).toBeGreaterThanOrEqual(100 + 300);
    expect(atMax.target).toBe(8);
    const still = new AutoWorkersController({ start: 32, max: 32, fromKnee: true });
    expect(untilKnee(drive(still, { rate: table(32), loginMs: 100 }, 6_000, false).decisions).map((d) => d.workers)).toEqual([32, 32, 16, 32]);
    // Limited to 3 (a refusal learned earlier): never more than 3, reads 1 below it, holds 3.
    const limited = new AutoWorkersController({ start: 3, max: 32, limit: 3, fromKnee: true });
    const l = drive(limited, { rate: (m) => m * PER_CONN, loginMs: 200, refuseAbove: 3 }, 6_000, false);
    expect(l.peak).toBe(3);
    expect(untilKnee(l.decisions).map((d) => d.workers)).toEqual([3, 3, 1, 3]);
  });

  it('slow items (every window long anyway): a flat step up from the knee settles there, then reads below it', () => {
    const c = new AutoWorkersController({ start: 16, max: 32, fromKnee: true });
    const ds = untilKnee(drive(c, { rate: table(4), loginMs: 100, itemsPerSec: 1 }, 30_000, false).decisions);
    expect(ds[2]!.why).toMatch(/^16 → 32 gained 0 % \(< 10 %\): the knee is 16$/);
    expect(ds[3]!.why).toMatch(/^held 16, the knee remembered from an earlier job: trying 8$/);
    expect(c.target).toBe(4);
  });

  it('a step above the remembered knee that pays: the climb goes on, no step below', () => {
    const c = new AutoWorkersController({ start: 8, max: 32, fromKnee: true });
    const { decisions } = drive(c, { rate: table(16), loginMs: 100 }, 6_000, false);
    expect(decisions.some((d) => d.workers < 8)).toBe(false);
    expect(c.target).toBe(16);
  });
});

describe('--workers auto: the first step sized from how long items wait for their first byte', () => {
  it('connections that wait 80 % of each item: 4 → 20 at once (×5), then on', () => {
    const c = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    const { adds } = drive(c, { rate: (m) => m * PER_CONN, loginMs: 100, waitShare: 0.8 });
    expect(adds[0]).toMatchObject({ workers: 20 });
    // Taken as soon as two items finished (their waits say all the step needs), not after a window.
    expect(adds[0]!.why).toMatch(/^2 items waited 80 % of their time for a first byte \(4 connections\); trying 20 at once$/);
    expect(adds.at(-1)).toMatchObject({ workers: 32 });
    // Not told (a pool without first-byte times), or not asked to (mail): ×2.
    const plain = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    expect(drive(plain, { rate: (m) => m * PER_CONN, loginMs: 100 }).adds[0]).toMatchObject({ workers: 8 });
    const mail = new AutoWorkersController({ start: 4, max: 32 });
    expect(drive(mail, { rate: (m) => m * PER_CONN, loginMs: 100, waitShare: 0.8 }).adds[0]).toMatchObject({ workers: 8 });
  });

  it('connections that mostly transfer: ×2 at least; never past the maximum or a known limit', () => {
    const busy = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    expect(drive(busy, { rate: (m) => m * PER_CONN, loginMs: 100, waitShare: 0.2 }).adds[0]).toMatchObject({ workers: 8 });
    const max = new AutoWorkersController({ start: 4, max: 16, sizeFirstStep: true });
    expect(drive(max, { rate: (m) => m * PER_CONN, loginMs: 100, waitShare: 0.95 }).adds[0]).toMatchObject({ workers: 16 });
    const limited = new AutoWorkersController({ start: 4, max: 32, limit: 6, sizeFirstStep: true });
    expect(drive(limited, { rate: (m) => m * PER_CONN, loginMs: 100, waitShare: 0.95 }).peak).toBe(6);
  });

  it('under a bandwidth cap the waits are (partly) the bucket\'s pacing: ×2, as before', () => {
    const sample = (atMs: number, bytes: number, items: number, rateCap: number | null) => ({ atMs, bytes, items, transferring: 4, rateCap, waitMs: atMs * 0.9, transferMs: atMs * 0.1 });
    for (const [cap, to] of [[100_000_000, 8], [null, 32]] as const) {
      const c = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
      c.observe(sample(0, 0, 0, cap));
      c.observe(sample(50, 0, 0, cap)); // the window starts
      // 600 kB/s: far from a 100 MB/s cap (a step needs no long window).
      expect(c.observe(sample(150, 60_000, 4, cap))).toMatchObject({ action: 'add', workers: to });
    }
  });

  it('a job started at a remembered knee steps as before (×2): the knee already says where N was', () => {
    const c = new AutoWorkersController({ start: 8, max: 64, fromKnee: true, sizeFirstStep: true });
    expect(drive(c, { rate: (m) => m * PER_CONN, loginMs: 100, waitShare: 0.9 }).adds[0]).toMatchObject({ workers: 16 });
  });

  it('a jump that gained but overshot the knee (8; the jump went to 32): holds 32, then measures below it down to 8', () => {
    const c = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    const { decisions } = drive(c, { rate: (m) => Math.min(m, 8) * PER_CONN, loginMs: 100, waitShare: 0.9 }, 6_000, false);
    const ds = decisions.slice(0, decisions.findIndex((d) => /gains -?\d+ %: the knee is/.test(d.why)) + 1);
    expect(ds.map((d) => [d.action, d.workers])).toEqual([['start', 4], ['add', 32], ['hold', 32], ['back-off', 16], ['back-off', 8], ['back-off', 4], ['add', 8]]);
    expect(ds[3]!.why).toMatch(/^held 32, reached by the first step's jump from 4: trying 16$/);
    expect(ds[3]!.atMs - ds[2]!.atMs).toBeGreaterThanOrEqual(500);
    expect(c.target).toBe(8);
    // A jump whose next step paid too (the knee is above it): no step below.
    const far = new AutoWorkersController({ start: 4, max: 64, sizeFirstStep: true });
    const f = drive(far, { rate: (m) => m * PER_CONN, loginMs: 100, waitShare: 0.8 }, 6_000, false);
    // Nothing was measured at 4 (the jump came before a window), so 20 is read as a first window: ×2.
    expect(f.adds.map((d) => d.workers)).toEqual([20, 40, 64]);
    expect(f.decisions.some((d) => d.action === 'back-off')).toBe(false);
  });

  it('a first jump past the knee reads flat, reads the start again over a long window, and holds it', () => {
    // Waits not dominant enough for the early jump (2.3 × the transfer): the first window is read at 4.
    const c = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    const { decisions } = drive(c, { rate: (m) => Math.min(m, 4) * PER_CONN, loginMs: 100, waitShare: 0.7 });
    expect(decisions.map((d) => d.workers)).toEqual([4, 13, 4, 4]);
    expect(decisions.at(-1)!.why).toMatch(/the knee is 4/);
  });

  it('an early jump past the knee (nothing measured at the start): held at 32, then measured below it down to the knee', () => {
    const c = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    const { decisions } = drive(c, { rate: (m) => Math.min(m, 4) * PER_CONN, loginMs: 100, waitShare: 0.9 }, 6_000, false);
    const knee = decisions.find((d) => /the knee is/.test(d.why));
    expect(decisions.slice(0, 3).map((d) => [d.action, d.workers])).toEqual([['start', 4], ['add', 32], ['hold', 32]]);
    expect(knee).toMatchObject({ workers: 4 });
    expect(c.target).toBe(4);
  });

  it('the first step is taken once two items finished mostly waiting, before all the start connections move bytes', () => {
    const sample = (atMs: number, items: number, transferring: number, waitMs: number, transferMs: number) => ({ atMs, bytes: items * 300_000, items, transferring, waitMs, transferMs });
    const c = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    expect(c.observe(sample(0, 0, 0, 0, 0))).toBeNull();
    expect(c.observe(sample(300, 1, 2, 280, 40))).toBeNull(); // one item: not yet
    // Two items, each waited 7 × its transfer (FTP logins): 4 / (1 - 0.875) = 32, with 2 of 4 still logging in.
    expect(c.observe(sample(350, 2, 3, 560, 80))).toMatchObject({ action: 'add', workers: 32 });
    // Items that mostly transfer (wait 1.5 ×): the window is waited for, as before.
    const busy = new AutoWorkersController({ start: 4, max: 32, sizeFirstStep: true });
    busy.observe(sample(0, 0, 0, 0, 0));
    expect(busy.observe(sample(350, 2, 3, 120, 80))).toBeNull();
    expect(busy.observe(sample(400, 3, 4, 180, 120))).toBeNull();
    // Not asked to size the first step (mail), or started at a remembered knee: no early step.
    for (const opts of [{}, { fromKnee: true }]) {
      const other = new AutoWorkersController({ start: 4, max: 32, ...opts });
      other.observe(sample(0, 0, 0, 0, 0));
      expect(other.observe(sample(350, 2, 3, 560, 80))).toBeNull();
    }
  });
});

describe('--workers auto: a window that moved nothing is read again', () => {
  const noRatioOfNothing = (ds: AutoWorkersDecision[]) => {
    for (const d of ds) expect(d.why, JSON.stringify(ds)).not.toMatch(/Infinity|NaN/);
  };

  it('the first window: no step until bytes arrive (was "4 connections: 0 kB/s; trying 8", then "4 → 8 gained NaN %")', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    // Connections logged in and at work, but the server sends nothing for the first 0.6 s.
    const { decisions, adds } = drive(c, { rate: (m, t) => (t < 600 ? 0 : m * PER_CONN), loginMs: 100 });
    noRatioOfNothing(decisions);
    expect(adds[0]!.atMs).toBeGreaterThanOrEqual(600);
    expect(adds[0]!.why).not.toMatch(/ 0 kB\/s/);
    expect(c.target).toBe(32);
  });

  it('a step down read while the server stalls: read again once it moves, back to the knee (was "8 → 16 gains Infinity %")', () => {
    const c = new AutoWorkersController({ start: 16, max: 32, fromKnee: true });
    // Nothing arrives at 8 until 4 s; the server's knee is 16.
    const { decisions } = drive(c, { rate: (m, t) => (m === 8 && t < 4_000 ? 0 : Math.min(m, 16) * PER_CONN), loginMs: 100 }, 6_000, false);
    noRatioOfNothing(decisions);
    const at8 = decisions.findIndex((d) => d.action === 'back-off' && d.workers === 8);
    expect(at8, JSON.stringify(decisions)).toBeGreaterThan(0);
    const after = decisions[at8 + 1]!;
    expect(after.atMs).toBeGreaterThanOrEqual(4_000);
    expect(after).toMatchObject({ action: 'add', workers: 16 });
    expect(after.why).toMatch(/^8 → 16 gains 100 %: the knee is 16$/);
  });
});
