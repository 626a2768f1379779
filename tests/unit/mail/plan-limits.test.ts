import { describe, expect, it } from 'vitest';
import { writeBudget } from '../../../electron/engine/mail/mail-worker';
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
  it('gives one connection what four have together, and never less than 8 writes / 1 MiB per connection', () => {
    expect(writeBudget(1)).toEqual({ writes: 32, bytes: 4 * MiB });
    expect(writeBudget(2)).toEqual({ writes: 16, bytes: 2 * MiB });
    expect(writeBudget(3)).toEqual({ writes: 11, bytes: Math.ceil((4 * MiB) / 3) });
    expect(writeBudget(4)).toEqual({ writes: 8, bytes: MiB });
    expect(writeBudget(16)).toEqual({ writes: 8, bytes: MiB });
    expect(writeBudget(0)).toEqual(writeBudget(1));
  });

  it('bounds what a job holds in flight: at most 4 MiB plus a byte of rounding per connection up to 4 connections', () => {
    for (let n = 1; n <= 4; n++) {
      const b = writeBudget(n);
      expect(b.bytes * n).toBeLessThanOrEqual(4 * MiB + n);
      expect(b.writes * n).toBeLessThanOrEqual(33);
    }
  });
});
