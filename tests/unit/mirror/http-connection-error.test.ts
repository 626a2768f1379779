import { describe, expect, it } from 'vitest';
import { connectionError } from '../../../electron/engine/mirror/http-run-types';

/** undici's error for a body shorter than its Content-Length (UND_ERR_RES_CONTENT_LENGTH_MISMATCH). */
const lengthMismatch = () => Object.assign(new Error('Response body length does not match content-length header'), { code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' });

/**
 * A body cut short under a request is SIZE_MISMATCH; with the count its caller knows (HTTP
 * fetchFile: the bytes counted of the Content-Length) it carries the verdict `short` as data, so a
 * reader (the catalog download's "cut short") decides on it, not on undici's words (HE s19 F3).
 */
describe('connectionError: a body cut short', () => {
  it('with the count: SIZE_MISMATCH, verdict short and both counts, undici\'s words kept', () => {
    const e = connectionError(lengthMismatch(), { host: 'h' }, { received: 300, expected: 1000 });
    expect([e.code, e.retryable, e.detail.size]).toEqual(['SIZE_MISMATCH', true, { verdict: 'short', expected: 1000, received: 300 }]);
    expect(e.message).toBe('Received 300 of 1000 bytes (the response was cut short: Response body length does not match content-length header)');
    expect(e.cause).toBeInstanceOf(Error);
  });

  it('without a count (the books\' path): SIZE_MISMATCH saying so, no verdict to decide on', () => {
    const e = connectionError(lengthMismatch(), { host: 'h' });
    expect([e.code, e.message, e.detail.size]).toEqual(['SIZE_MISMATCH', 'The response was cut short: Response body length does not match content-length header', undefined]);
  });

  it('a count that is whole or more is no cut: the words as they were', () => {
    expect(connectionError(lengthMismatch(), {}, { received: 1000, expected: 1000 }).detail.size).toBeUndefined();
  });
});
