import { describe, expect, it } from 'vitest';
import { JobWrites, jobWriteBudget } from '../../../electron/engine/mail/mail-worker';
import { planLimitsFor } from '../../../electron/engine/mail/run-mail-job';

const MiB = 1024 * 1024;

describe('plan limits', () => {
  it('keeps the bytes being received over all connections put: large messages go by pieces sooner with more connections', () => {
    expect(planLimitsFor(1).largeMessageBytes).toBe(4 * MiB);
    expect(planLimitsFor(4).largeMessageBytes).toBe(4 * MiB);
    expect(planLimitsFor(8).largeMessageBytes).toBe(2 * MiB);
    expect(planLimitsFor(8).partBytes).toBe(2 * MiB);
    expect(planLimitsFor(32).largeMessageBytes).toBe(MiB);
  });

  it('gives a job with one connection large chunks (each chunk ends in an idle round trip), and several connections the shared size', () => {
    expect(planLimitsFor(1)).toMatchObject({ chunkMessages: 1000, chunkBytes: 64 * MiB });
    expect(planLimitsFor(2)).toMatchObject({ chunkMessages: 250, chunkBytes: 8 * MiB });
    expect(planLimitsFor(4)).toMatchObject({ chunkMessages: 250, chunkBytes: 8 * MiB });
  });
});

describe('write budget', () => {
  it('is 32 writes / 4 MiB for the job up to 4 connections, 8 / 1 MiB per connection beyond', () => {
    expect(jobWriteBudget(1)).toEqual({ writes: 32, bytes: 4 * MiB });
    expect(jobWriteBudget(4)).toEqual({ writes: 32, bytes: 4 * MiB });
    expect(jobWriteBudget(16)).toEqual({ writes: 128, bytes: 16 * MiB });
    expect(jobWriteBudget(0)).toEqual(jobWriteBudget(1));
  });

  it('is shared: the one connection still receiving takes what the others leave', () => {
    const job = new JobWrites({ writes: 4, bytes: 1000 });
    // Connection A alone: up to the job's 4 writes, not a quarter of them.
    for (let own = 0; own < 4; own++) {
      expect(job.fits(own, 10)).toBe(true);
      job.take(10);
    }
    expect(job.fits(4, 10)).toBe(false);
    // Connection B, nothing in flight: may always start one (it goes on; a job holds at most one more per connection).
    expect(job.fits(0, 10)).toBe(true);
    job.release(10);
    expect(job.fits(3, 10)).toBe(true);
  });

  it('bounds the bytes in flight, and lets a message larger than the budget go alone', () => {
    const job = new JobWrites({ writes: 32, bytes: 1000 });
    expect(job.fits(0, 5000)).toBe(true);
    job.take(600);
    expect(job.fits(1, 400)).toBe(true);
    expect(job.fits(1, 401)).toBe(false);
  });

  it('wakes every connection waiting when a write of the job settles', async () => {
    const job = new JobWrites({ writes: 1, bytes: 1000 });
    job.take(10);
    const woken: string[] = [];
    const a = job.settled().then(() => woken.push('a'));
    const b = job.settled().then(() => woken.push('b'));
    expect(woken).toEqual([]);
    job.release(10);
    await Promise.all([a, b]);
    expect(woken).toEqual(['a', 'b']);
    expect(job.writes).toBe(0);
    expect(job.bytes).toBe(0);
    // The next wait is for the next release, not the one before.
    let later = false;
    void job.settled().then(() => (later = true));
    await Promise.resolve();
    expect(later).toBe(false);
  });
});
