import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AutoWorkersController } from '../../../electron/engine/core/auto-workers';
import { HostMemory } from '../../../electron/engine/jobs/host-memory';
import { JobAutoKnee, autoStartFromKnee, type LearnedAutoKnee } from '../../../electron/engine/net/auto-knee';
import { JobConnectionLimit } from '../../../electron/engine/net/host-limits';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-knee-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const knee = (workers: number, climbing = false): LearnedAutoKnee => ({ workers, climbing, since: '2026-11-30T22:50:12.000Z' });

/** Feeds `c` a job moving `rate(N)` bytes/s, 10 items/s per connection, a tick every 100 ms, until settled or `ticks` run out. */
function drive(c: AutoWorkersController, rate: (n: number) => number, ticks = 600): void {
  let bytes = 0;
  let items = 0;
  for (let i = 0, t = 0; i < ticks && !c.settled; i++, t += 100) {
    bytes += rate(c.target) / 10;
    items += c.target;
    c.observe({ atMs: t, bytes, items });
  }
}

describe('auto knee: the start it gives', () => {
  it('starts at the knee, under the job\'s most, and says why in one line', () => {
    expect(autoStartFromKnee({ hostKey: 'http://h:80', max: 32, knee: null })).toBeNull();
    const settled = autoStartFromKnee({ hostKey: 'http://h:80', max: 64, knee: knee(32) })!;
    expect(settled.start).toBe(32);
    expect(settled.why).toBe('starting at 32: the last auto job to http://h:80 settled at 32 on 2026-11-30 22:50 UTC; still measuring');
    const climbing = autoStartFromKnee({ hostKey: 'http://h:80', max: 64, knee: knee(16, true) })!;
    expect(climbing).toMatchObject({ start: 16 });
    expect(climbing.why).toMatch(/^starting at 16: the last auto job to http:\/\/h:80 was still climbing at 16 when it ended on 2026-11-30 22:50 UTC/);
    const lowered = autoStartFromKnee({ hostKey: 'http://h:80', max: 8, knee: knee(32) })!;
    expect(lowered.start).toBe(8);
    expect(lowered.why).toMatch(/^starting at 8 \(at most 8 for this job\): .*settled at 32/);
    for (const s of [settled, climbing, lowered]) expect(s.why).not.toContain('\n');
  });

  it('a refusal limit lower than the knee wins (the limit lowers the job\'s most first)', async () => {
    const memory = new HostMemory(join(dir, 'data'));
    await memory.rememberConnectionLimit('ftp://h:21', 3, '421 too many connections');
    await memory.rememberAutoKnee('ftp://h:21', 32, false);
    const hosts = new HostMemory(join(dir, 'data'));
    const limit = await JobConnectionLimit.open('ftp://h/', { workers: 32 }, hosts);
    expect(limit.plan.workers).toBe(3);
    const job = await JobAutoKnee.open('ftp://h/', { max: limit.plan.workers }, hosts);
    expect(job.start?.start).toBe(3);
    const c = new AutoWorkersController({ max: limit.plan.workers, limit: limit.plan.serverLimit!, start: job.start!.start, startWhy: job.start!.why });
    expect(c.target).toBe(3);
    expect(c.startDecision()).toMatchObject({ action: 'start', workers: 3, why: job.start!.why });
    // --max-per-host lowers it as well.
    const given = await JobConnectionLimit.open('ftp://h/', { workers: 32, maxPerHost: 2 }, hosts);
    expect((await JobAutoKnee.open('ftp://h/', { max: given.plan.workers }, hosts)).start?.start).toBe(2);
  });

  it('a refusal in the job still caps a start taken from a knee', () => {
    const c = new AutoWorkersController({ max: 32, start: 32, startWhy: 'x' });
    expect(c.target).toBe(32);
    expect(c.refused(50, 5)).toMatchObject({ action: 'back-off', workers: 5 });
    drive(c, (n) => n * 100_000);
    expect(c.target).toBe(5);
    expect(c.knee).toEqual({ workers: 5, climbing: false });
  });
});

describe('auto knee: what the controller found', () => {
  it('nothing before a window was measured', () => {
    const c = new AutoWorkersController({ max: 32 });
    c.observe({ atMs: 0, bytes: 0, items: 0 });
    expect(c.knee).toBeNull();
  });

  it('the N it settled at, or the most it held while still climbing', () => {
    const flat = new AutoWorkersController({ start: 2, max: 32 });
    drive(flat, (n) => Math.min(n, 6) * 100_000);
    expect(flat.knee).toEqual({ workers: 16, climbing: false });

    const climbing = new AutoWorkersController({ start: 2, max: 32 });
    drive(climbing, (n) => n * 100_000, 4); // the job ends after the first step
    expect(climbing.settled).toBe(false);
    expect(climbing.knee).toEqual({ workers: 4, climbing: true });
  });

  it('started at a knee, it still steps up while the step pays, and back at a flat step', () => {
    const up = new AutoWorkersController({ max: 64, start: 16 });
    drive(up, (n) => n * 100_000);
    expect(up.target).toBe(64);
    expect(up.knee).toEqual({ workers: 64, climbing: false });

    const flat = new AutoWorkersController({ max: 64, start: 32 });
    drive(flat, (n) => Math.min(n, 32) * 100_000);
    expect(flat.target).toBe(32);
    expect(flat.knee).toEqual({ workers: 32, climbing: false });
  });

  it('nothing when a bandwidth cap stopped the climb (that N is the cap\'s)', () => {
    const c = new AutoWorkersController({ start: 4, max: 32 });
    let bytes = 0;
    let items = 0;
    for (let t = 0; t < 10_000 && !c.settled; t += 100) {
      bytes += Math.min(c.target * 100_000, 500_000) / 10;
      items += c.target;
      c.observe({ atMs: t, bytes, items, rateCap: 500_000 });
    }
    expect(c.settled).toBe(true);
    expect(c.knee).toBeNull();
  });
});

describe('auto knee: kept in hosts.json', () => {
  it('is recorded at the job\'s end and read back by the next job, which starts there', async () => {
    const data = join(dir, 'data');
    const first = await JobAutoKnee.open('http://127.0.0.1:8080/mirror/', { max: 32 }, new HostMemory(data));
    expect(first.start).toBeNull();
    await first.afterJob(null); // measured nothing: nothing kept
    expect(await new HostMemory(data).autoKnee('http://127.0.0.1:8080')).toBeNull();
    await first.afterJob({ workers: 16, climbing: false });
    const kept = await new HostMemory(data).autoKnee('http://127.0.0.1:8080');
    expect(kept).toMatchObject({ workers: 16, climbing: false });
    expect(Date.now() - Date.parse(kept!.since)).toBeLessThan(60_000);
    const next = await JobAutoKnee.open('http://127.0.0.1:8080/other/', { max: 32 }, new HostMemory(data));
    expect(next.start).toMatchObject({ start: 16, why: expect.stringMatching(/^starting at 16: the last auto job to http:\/\/127\.0\.0\.1:8080 settled at 16 on /) });
  });

  it('forgets knees older than 30 days and bad entries; an unreadable memory is the default start', async () => {
    const data = join(dir, 'data');
    const m = new HostMemory(data);
    await m.rememberAutoKnee('http://h:80', 8, true);
    const stored = JSON.parse(await readFile(m.file, 'utf8')) as { autoKnees: Record<string, unknown> };
    stored.autoKnees['http://old:80'] = { workers: 8, climbing: false, since: new Date(Date.now() - 31 * 86_400_000).toISOString() };
    stored.autoKnees['http://zero:80'] = { workers: 0, climbing: false, since: new Date().toISOString() };
    stored.autoKnees['http://noflag:80'] = { workers: 8, since: new Date().toISOString() };
    await writeFile(m.file, JSON.stringify(stored));
    const n = new HostMemory(data);
    expect(await n.autoKnee('http://h:80')).toMatchObject({ workers: 8, climbing: true });
    for (const key of ['http://old:80', 'http://zero:80', 'http://noflag:80']) expect(await n.autoKnee(key)).toBeNull();
    expect((await JobAutoKnee.open('http://old/', { max: 32 }, n)).start).toBeNull();
    const broken = { autoKnee: () => Promise.reject(new Error('EACCES')) };
    expect((await JobAutoKnee.open('http://h/', { max: 32 }, broken)).start).toBeNull();
  });

  it('a hosts.json of an earlier version (no autoKnees) keeps its limits and lock-step verdicts when a knee is added', async () => {
    const data = join(dir, 'data');
    const m = new HostMemory(data);
    await m.rememberConnectionLimit('ftp://h:21', 3, '421 too many');
    const old = JSON.parse(await readFile(m.file, 'utf8')) as Record<string, unknown>;
    delete old.autoKnees;
    old.lockStep = { 'h:21': { reason: '500 Unknown command', since: new Date().toISOString() } };
    await writeFile(m.file, JSON.stringify(old));
    const n = new HostMemory(data);
    expect(await n.autoKnee('ftp://h:21')).toBeNull();
    await n.rememberAutoKnee('ftp://h:21', 32, false);
    const o = new HostMemory(data);
    expect(await o.connectionLimit('ftp://h:21')).toMatchObject({ limit: 3 });
    expect(await o.isLockStep('h:21')).toBe(true);
    expect(await o.autoKnee('ftp://h:21')).toMatchObject({ workers: 32, climbing: false });
    // A damaged file: nothing remembered, and a knee saved after it is read back.
    await writeFile(o.file, '{"autoKnees": {"ftp://h:21": ');
    const p = new HostMemory(data);
    expect(await p.autoKnee('ftp://h:21')).toBeNull();
    await p.rememberAutoKnee('ftp://h:21', 4, true);
    expect(await new HostMemory(data).autoKnee('ftp://h:21')).toMatchObject({ workers: 4, climbing: true });
  });
});
