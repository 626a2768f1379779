import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../electron/engine/net/retry-after';
import { httpStatusError } from '../../../electron/engine/mirror/http-file-response';

describe('Retry-After', () => {
  const now = Date.parse('Mon, 30 Nov 2026 20:00:00 GMT');
  it('reads seconds and HTTP dates (a past date is 0), nothing else', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 30 Nov 2026 20:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Monday, 30-Nov-26 20:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 20:00:00 GMT', now)).toBe(0);
    for (const bad of [undefined, '', 'soon', '-1', '1.5', 'soon 5']) expect(parseRetryAfter(bad, now)).toBeNull();
  });
  it('rides on the 429/503 error (with the wait in its message), and only there', () => {
    const e429 = httpStatusError(429, { host: 'h', ebook: 1 }, { 'retry-after': '2' });
    expect(e429).toMatchObject({ code: 'HTTP_TRANSIENT', retryAfterMs: 2000, message: 'HTTP 429 (the server asks to wait 2 s)' });
    expect(e429.forItem({ ebook: 2 }).retryAfterMs).toBe(2000);
    expect(httpStatusError(503, {}, { 'retry-after': '90' }).message).toMatch(/1 min 30 s/);
    expect(httpStatusError(500, {}, { 'retry-after': '2' }).retryAfterMs).toBeUndefined();
    expect(httpStatusError(429, {}, {}).retryAfterMs).toBeUndefined();
  });
});
