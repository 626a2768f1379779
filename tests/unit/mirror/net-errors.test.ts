import { describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { isConnectionError, mapSocketError } from '../../../electron/engine/mirror/net-errors';
import { httpStatusError } from '../../../electron/engine/mirror/http-session';

const err = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('connection errors (what ends a pipelined batch)', () => {
  it('counts socket, undici and TLS errors as the connection failing', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'DEPTH_ZERO_SELF_SIGNED_CERT']) {
      expect(isConnectionError(err(code)), code).toBe(true);
    }
  });

  it('does not count local failures (a write, a damaged zip) or our own FanoutErrors', () => {
    expect(isConnectionError(err('ENOSPC'))).toBe(false);
    expect(isConnectionError(err('EACCES'))).toBe(false);
    expect(isConnectionError(new Error('invalid signature: 0x0'))).toBe(false);
    expect(isConnectionError(new FanoutError('WRITE_FAILED', 'disk full'))).toBe(false);
    expect(isConnectionError(new FanoutError('CONNECTION_RESET', 'already mapped'))).toBe(false);
  });

  it("maps undici's errors to retryable codes with the context", () => {
    const ctx = { host: 'mirror', ebook: 5 };
    expect(mapSocketError(err('UND_ERR_SOCKET', 'other side closed'), ctx)).toMatchObject({ code: 'CONNECTION_RESET', context: ctx, retryable: true });
    expect(mapSocketError(err('UND_ERR_DESTROYED', 'The client is destroyed'), ctx)).toMatchObject({ code: 'CONNECTION_RESET', retryable: true });
    expect(mapSocketError(err('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error'), ctx)).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(mapSocketError(err('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error'), ctx)).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(mapSocketError(err('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), ctx)).toMatchObject({ code: 'TLS_FAILED', retryable: false });
  });

  it('maps HTTP statuses per book: 429/5xx retryable, 404 not found, other 4xx permanent', () => {
    expect(httpStatusError(503, {})).toMatchObject({ code: 'HTTP_TRANSIENT', retryable: true });
    expect(httpStatusError(429, {})).toMatchObject({ code: 'HTTP_TRANSIENT', retryable: true });
    expect(httpStatusError(404, {})).toMatchObject({ code: 'HTTP_NOT_FOUND', retryable: false });
    expect(httpStatusError(403, {})).toMatchObject({ code: 'HTTP_PERMANENT', retryable: false });
  });
});
