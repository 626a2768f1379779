import { FanoutError, toFanoutError } from '../core/fanout-error';
import { isTlsFailure } from '../core/tls-error';
import type { ErrorContext } from '../../../shared/errors';

/** Socket-level errors: TLS failures → TLS_FAILED, the rest through toFanoutError. */
export function mapSocketError(e: unknown, context: ErrorContext): FanoutError {
  if (e instanceof FanoutError) return e.withContext(context);
  const code = (e as { code?: unknown })?.code;
  const message = (e as { message?: unknown })?.message;
  if (isTlsFailure(code, message)) {
    return new FanoutError('TLS_FAILED', String(message ?? code), context, { cause: e });
  }
  // basic-ftp's wording for a control connection the server dropped.
  if (typeof message === 'string' && /FIN packet|closed connection unexpectedly|Socket closed|Client is closed/i.test(message)) {
    return new FanoutError('CONNECTION_RESET', message, context, { cause: e });
  }
  return toFanoutError(e, context);
}
