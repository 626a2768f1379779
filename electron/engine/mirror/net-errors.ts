import { FanoutError, toFanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** Socket-level errors: TLS failures → TLS_FAILED, the rest through toFanoutError. */
export function mapSocketError(e: unknown, context: ErrorContext): FanoutError {
  if (e instanceof FanoutError) return e.withContext(context);
  const code = (e as { code?: unknown })?.code;
  const message = (e as { message?: unknown })?.message;
  if ((typeof code === 'string' && TLS_CODES.has(code)) || (typeof message === 'string' && /certificate|wrong version number|handshake/i.test(message))) {
    return new FanoutError('TLS_FAILED', String(message ?? code), context, { cause: e });
  }
  // basic-ftp's wording for a control connection the server dropped.
  if (typeof message === 'string' && /FIN packet|closed connection unexpectedly|Socket closed|Client is closed/i.test(message)) {
    return new FanoutError('CONNECTION_RESET', message, context, { cause: e });
  }
  return toFanoutError(e, context);
}
