import { describe, expect, it } from 'vitest';
import { planLimitsFor } from '../../../electron/engine/mail/run-mail-job';

describe('plan limits', () => {
  it('keeps the bytes being received over all connections put: large messages go by pieces sooner with more connections', () => {
    const MiB = 1024 * 1024;
    expect(planLimitsFor(1).largeMessageBytes).toBe(4 * MiB);
    expect(planLimitsFor(4).largeMessageBytes).toBe(4 * MiB);
    expect(planLimitsFor(8).largeMessageBytes).toBe(2 * MiB);
    expect(planLimitsFor(8).partBytes).toBe(2 * MiB);
    expect(planLimitsFor(32).largeMessageBytes).toBe(MiB);
  });
});
