import { FanoutError, outOfResources, toFanoutError } from '../core/fanout-error';
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
  // undici: the socket closed under a request, or the client was destroyed (the connection dropped).
  if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED') {
    return new FanoutError('CONNECTION_RESET', typeof message === 'string' ? message : String(code), context, { cause: e });
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new FanoutError('TIMEOUT', typeof message === 'string' ? message : String(code), context, { cause: e });
  // basic-ftp keeps only the text of its last transfer strategy's error ("None of the available
  // transfer strategies work. Last error response was 'Error: Can't open data connection in passive
  // mode: connect EMFILE …'"): a limit of this process named there is OUT_OF_RESOURCES (retryable), not INTERNAL.
  const limit = code === undefined && typeof message === 'string' ? /\b(?:connect|open|socket) (EMFILE|ENFILE|ENOMEM|EAGAIN)\b/.exec(message)?.[1] : undefined;
  if (limit) return outOfResources(Object.assign(new Error(message as string, { cause: e }), { code: limit }), context)!;
  // basic-ftp's wording for a control connection the server dropped.
  if (typeof message === 'string' && /FIN packet|closed connection unexpectedly|Socket closed|Client is closed/i.test(message)) {
    return new FanoutError('CONNECTION_RESET', message, context, { cause: e });
  }
  return toFanoutError(e, context);
}

/** What a TLS failure means for the user, by Node/OpenSSL code or reason. */
const HINTS: Array<[RegExp, string]> = [
  [/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_UNTRUSTED/, "the mirror's certificate is not trusted (add its CA, or allow untrusted certificates)"],
  [/ALTNAME/, 'the certificate is for another host name'],
  [/CERT_HAS_EXPIRED|CERT_NOT_YET_VALID/, 'the certificate has expired or is not valid yet'],
  [/WRONG_VERSION_NUMBER|wrong version number/i, 'the server does not speak TLS on this port (a plain server, or explicit vs implicit FTPS)'],
];

/** A message a user can act on: with which host it failed, what that means, and the cause in short. */
function tlsMessage(code: unknown, message: unknown, host: string | undefined): string {
  const codeText = typeof code === 'string' ? code : '';
  let what = typeof message === 'string' && message ? message : codeText || 'unknown error';
  // OpenSSL's "8070…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:<file>:<line>:".
  const reason = /SSL routines:[^:]*:([^:]+)/.exec(what)?.[1];
  if (reason) what = reason.trim();
  const detail = codeText && !what.includes(codeText) ? `${what} (${codeText})` : what;
  const hint = HINTS.find(([re]) => re.test(codeText) || re.test(what))?.[1];
  return `TLS handshake${host ? ` with ${host}` : ''} failed${hint ? `: ${hint}` : ''}: ${detail}`;
}

/** Socket error codes that mean "the connection is gone", not "this file could not be written". */
const CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * True when `e` came from the connection (a socket, TLS or undici error) rather than from the local
 * side (a write that failed, a damaged zip): a connection error ends a pipelined batch.
 */
export function isConnectionError(e: unknown): boolean {
  if (e instanceof FanoutError) return false;
  const code = (e as { code?: unknown })?.code;
  const message = (e as { message?: unknown })?.message;
  if (typeof code === 'string' && (code.startsWith('UND_ERR_') || CONNECTION_CODES.has(code))) return true;
  return isTlsFailure(code, message);
}
