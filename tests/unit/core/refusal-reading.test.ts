import { describe, expect, it } from 'vitest';
import { readRefusal, type RefusalCounts } from '../../../electron/engine/core/refusal-reading';

const counts = (more: Partial<RefusalCounts>): RefusalCounts => ({ provenNow: 0, peakProven: 0, loggedIn: 0, openOthers: 0, steppedAtSetUp: false, ...more });

describe('what a refusal says the server holds (auto\'s reading, core/refusal-reading.ts)', () => {
  it('the sessions proven now, when any', () => {
    expect(readRefusal(counts({ provenNow: 2, peakProven: 3, loggedIn: 5, openOthers: 28 }))).toEqual({ holding: 2, loggedIn: 5, proven: true });
  });

  it('none proven now: what the proven held at once, not the sessions merely opened (pure-ftpd limited to 3 was read as 28)', () => {
    // Its sessions proved themselves, dropped their connection (a batch out of step) and were refused when they
    // connected again, while the refused worker waited for the others: 28 session objects open, none proven now.
    expect(readRefusal(counts({ peakProven: 3, openOthers: 28 }))).toMatchObject({ holding: 3, proven: false });
    // None ever proven: the sessions logged in, then (the first logins racing each other) the opened ones.
    expect(readRefusal(counts({ loggedIn: 3, openOthers: 28 }))).toMatchObject({ holding: 3, proven: false });
    expect(readRefusal(counts({ loggedIn: 3, openOthers: 28, steppedAtSetUp: true }))).toEqual({ holding: 3, loggedIn: 3, proven: true });
    expect(readRefusal(counts({ openOthers: 2 }))).toMatchObject({ holding: 2, proven: false });
  });
});
