import { afterEach, expect, it, vi } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { MAX_RETRY_AFTER_MS } from '../../../electron/engine/core/retry';
import { NothingServes } from '../../../electron/engine/gutenberg/nothing-serves';

/**
 * HE s18 F7 (his test, taken in; cd6e03c): the grace is max(graceMs, longest Retry-After) and that Retry-After is not
 * capped (the rest of the job caps it at MAX_RETRY_AFTER_MS, 5 min: core/retry.ts,
 * run-gutenberg-job.ts heedRetryAfter). Since cd6e03c every new book's try waits for the grace:
 * a maintenance page answering `503 Retry-After: 86400` parks every lane for a day instead of
 * failing the books after their capped retries. Fake clock and timers: no wall time.
 */
afterEach(() => {
  vi.useRealTimers();
});

it('a last try is held at most MAX_RETRY_AFTER_MS (plus the grace) after a 503 asking to wait a day', async () => {
  vi.useFakeTimers();
  let now = 0;
  const ns = new NothingServes(5, () => 0, { graceMs: 30_000, now: () => now });
  const signal = new AbortController().signal;
  const day = new FanoutError('HTTP_TRANSIENT', 'HTTP 503 (the server asks to wait 1 d)', { ebook: 1, host: 'mirror' }, { retryAfterMs: 86_400_000, detail: { httpStatus: 503 } });
  for (let i = 0; i < 4; i++) await ns.track([1], signal, () => Promise.reject(day)).catch(() => undefined);
  // Book 1's last try is held for the grace (since 148cd69 a new book with nothing else out goes at once: the last try is what waits).
  let started = false;
  const second = ns.track([1], signal, async () => {
    started = true;
    return 'book 1';
  });
  // Past the capped wait and the grace: the new book's try must have gone.
  const bound = MAX_RETRY_AFTER_MS + 30_000 + 1_000;
  for (let t = 0; t < bound && !started; t += 10_000) {
    now += 10_000;
    await vi.advanceTimersByTimeAsync(10_000);
  }
  expect(started, `book 1's last try still held ${bound / 1000} s after the 503`).toBe(true);
  await expect(second).resolves.toBe('book 1');
});
