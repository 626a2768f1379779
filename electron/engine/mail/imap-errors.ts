import { FanoutError, isAbortError, toFanoutError, abortedError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';
import { isTlsFailure } from '../core/tls-error';
import { SocksProxyError } from '../net/socks';
import { NotTheProtocolError, quoteFirstLine } from '../net/not-the-protocol';

/** imapflow's own codes for a failed TLS upgrade, on top of the socket-level ones. */
const IMAP_TLS_CODES = new Set(['ClosedAfterConnectTLS', 'UPGRADE_TIMEOUT', 'STARTTLS_INJECTION']);

interface ImapLikeError {
  code?: string;
  message?: string;
  responseText?: string;
  responseStatus?: string;
  serverResponseCode?: string;
  reason?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  mailboxMissing?: boolean;
  cause?: unknown;
  /** imapflow: what made the proxy set-up fail ("Failed to setup proxy connection"). */
  _err?: { message?: string; code?: string };
}

/** Everything the server (or the socket) said about an error, as one string to match on. */
function errorText(e: ImapLikeError): string {
  const parts = [e.message, e.responseText, e.reason, e.serverResponseCode];
  return parts.filter((p): p is string => typeof p === 'string' && p.length > 0).join(' | ');
}

function tlsHint(code: string | undefined): string {
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'the server certificate is self-signed and not trusted';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_UNTRUSTED':
      return 'the server certificate is not signed by a trusted authority';
    case 'CERT_HAS_EXPIRED':
      return 'the server certificate has expired';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'the server certificate is for another host name';
    default:
      return 'the TLS handshake failed';
  }
}

/**
 * Turns whatever imapflow, Node's socket or TLS layer threw into a FanoutError with a message a
 * user can act on (wrong password, refused, untrusted certificate, too many connections...).
 * `where` is "host:port", used in messages; `context.host` is set to it.
 */
export function mapImapError(raw: unknown, where: string, context: ErrorContext = {}): FanoutError {
  const ctx: ErrorContext = { host: where, ...context };
  if (raw instanceof FanoutError) return raw.withContext(ctx);
  if (isAbortError(raw)) return abortedError(ctx);
  const e = (raw ?? {}) as ImapLikeError;
  const cause = (e.cause ?? {}) as ImapLikeError;
  const code = e.code ?? cause.code;
  const text = errorText(e) + (cause.message ? ` | ${cause.message}` : '');

  // The account's proxy (account.proxy) could not open the connection: say so, not INTERNAL.
  if (raw instanceof SocksProxyError) {
    const refused = raw.code === 'ECONNREFUSED';
    return new FanoutError(refused ? 'CONNECTION_REFUSED' : raw.code === 'ETIMEDOUT' ? 'TIMEOUT' : 'CONNECTION_RESET', `Could not reach ${where} through the proxy: ${raw.message}`, ctx, { cause: raw });
  }
  if (e._err && /proxy/i.test(e.message ?? '')) {
    const why = e._err.message ?? e._err.code ?? 'no reason given';
    const refused = /ECONNREFUSED|refused|rejected/i.test(`${why} ${e._err.code ?? ''}`);
    return new FanoutError(refused ? 'CONNECTION_REFUSED' : 'CONNECTION_RESET', `Could not reach ${where} through the proxy: ${why}`, ctx, { cause: raw });
  }

  // Checked before the login failure: servers refuse surplus logins with NO (Dovecot: "[LIMIT] Maximum number of
  // connections from user+IP exceeded", Cyrus maxlogins_per_user: "Too many open connections (3 of 3 for user)").
  if (/too many (simultaneous |concurrent |open )?connections|maximum number of connections|mail_max_userip_connections|\[LIMIT\]|\[UNAVAILABLE\]/i.test(text)) {
    return new FanoutError('TOO_MANY_CONNECTIONS', `${where} refused another connection: ${text}`, ctx, { cause: raw });
  }
  if (e.authenticationFailed) {
    const said = e.responseText || e.serverResponseCode || '';
    return new FanoutError('AUTH_FAILED', `Login to ${where} failed: the server rejected the user name or password/token${said ? ` (server said: ${said})` : ''}`, ctx, { cause: raw });
  }
  if (e.tlsFailed || (code && IMAP_TLS_CODES.has(code)) || isTlsFailure(code, text)) {
    const hint = tlsHint(code);
    const trust = /self[- ]signed|not trusted|authority/.test(hint) ? '; trust it explicitly (allowUntrustedCert / --insecure-skip-verify) only if you know this server' : '';
    return new FanoutError('TLS_FAILED', `TLS to ${where} failed: ${hint}${code ? ` [${code}]` : ''}${trust}`, ctx, { cause: raw });
  }
  if (code === 'ECONNREFUSED') {
    return new FanoutError('CONNECTION_REFUSED', `Connection to ${where} was refused (is the host and port right, and is the IMAP server running?)`, ctx, { cause: raw });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new FanoutError('DNS_FAILED', `The host name of ${where} could not be resolved`, ctx, { cause: raw });
  }
  if (code === 'ETHROTTLE' || /\[THROTTLED\]|throttl/i.test(text)) {
    return new FanoutError('THROTTLED', `${where} asked us to slow down: ${text}`, ctx, { cause: raw });
  }
  if (/OVERQUOTA|over quota/i.test(text)) {
    return new FanoutError('OVER_QUOTA', `${where} reported a quota limit: ${text}`, ctx, { cause: raw });
  }
  if (e.mailboxMissing || /NONEXISTENT|doesn't exist|does not exist/i.test(text)) {
    return new FanoutError('FOLDER_NOT_FOUND', `Folder ${context.folder ?? ''} does not exist on ${where}`, ctx, { cause: raw });
  }
  if (e.responseStatus === 'BYE' || (e.reason && e.reason.length > 0)) {
    return new FanoutError('SERVER_BYE', `${where} closed the session: ${e.reason || text}`, ctx, { cause: raw });
  }
  switch (code) {
    case 'NoConnection':
    case 'EConnectionClosed':
    case 'ClosedAfterConnectText':
      return new FanoutError('CONNECTION_RESET', `The connection to ${where} was closed${text ? `: ${text}` : ''}`, ctx, { cause: raw });
    case 'GREETING_TIMEOUT': {
      // Connected, then silence: an HTTP server (it waits for a request) or a stalled IMAP server.
      const ms = (e as { details?: { greetingTimeout?: unknown } }).details?.greetingTimeout;
      const after = typeof ms === 'number' ? ` in ${Math.round(ms / 100) / 10} s` : ' in time';
      return new FanoutError('TIMEOUT', `${where} accepted the connection but sent no IMAP greeting${after} (GREETING_TIMEOUT): is it an IMAP port?`, ctx, { cause: raw });
    }
    case 'CONNECT_TIMEOUT':
    case 'ETIMEOUT':
      return new FanoutError('TIMEOUT', `${where} did not answer in time (${code})`, ctx, { cause: raw });
    default:
      return toFanoutError(raw, ctx);
  }
}

/** Whether `line`, a server's first line, can be an IMAP greeting (RFC 3501: `"*" SP` then OK, PREAUTH or BYE). */
export function isImapGreetingLine(line: string): boolean {
  return /^\* /.test(line);
}

/**
 * The error for a server whose first line is not an IMAP greeting (`* OK`, `* PREAUTH`, `* BYE`):
 * another protocol on that port (an FTP server's `220 ...`, an SSH banner, an HTTP answer). Not
 * retried (connecting again gets the same line): CONNECTION_RESET whose cause is a
 * NotTheProtocolError, the line quoted and host:port named.
 */
export function notImapError(line: string, where: string, context: ErrorContext = {}): FanoutError {
  return new FanoutError('CONNECTION_RESET', `${where} is not an IMAP server: its first line was "${quoteFirstLine(line)}" (is the port right?)`, { host: where, ...context }, { cause: new NotTheProtocolError(`not an IMAP greeting: ${line}`, line) });
}
