import { FanoutError, toFanoutError } from '../core/fanout-error';
import { isTlsFailure } from '../core/tls-error';
import type { ErrorContext } from '../../../shared/errors';

/** Socket-level errors: TLS failures → TLS_FAILED, the rest through toFanoutError. */
export function mapSocketError(e: unknown, context: ErrorContext): FanoutError {
  if (e instanceof FanoutError) return e.withContext(context);
  const code = (e as { code?: unknown })?.code;
  const message = (e as { message?: unknown })?.message;
  if (isTlsFailure(code, message)) {
    return new FanoutError('TLS_FAILED', tlsMessage(code, message, context.host), context, { cause: e });
  }
  // basic-ftp's wording for a control connection the server dropped.
  if (typeof message === 'string' && /FIN packet|closed connection unexpectedly|Socket closed|Client is closed/i.test(message)) {
    return new FanoutError('CONNECTION_RESET', message, context, { cause: e });
  }
  return toFanoutError(e, context);
}

/** Node's certificate error codes: the handshake worked but the certificate is not trusted. */
const UNTRUSTED = /SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)|CERT_|ALTNAME/;

/** A message a user can act on: what failed, with which host, and (for trust) what to change. */
function tlsMessage(code: unknown, message: unknown, host: string | undefined): string {
  const what = typeof message === 'string' && message ? message : String(code);
  const detail = typeof code === 'string' && !what.includes(code) ? `${what} (${code})` : what;
  const where = host ? ` with ${host}` : '';
  const hint = typeof code === 'string' && UNTRUSTED.test(code) ? ': the mirror\'s certificate is not trusted (add its CA, or allow untrusted certificates)' : '';
  return `TLS handshake${where} failed${hint}: ${detail}`;
}
