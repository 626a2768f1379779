import { FTPError } from 'basic-ftp';
import { FanoutError } from '../core/fanout-error';
import { NotTheProtocolError, quoteFirstLine } from '../net/not-the-protocol';
import { mapSocketError } from './net-errors';
import type { ErrorContext } from '../../../shared/errors';
import { saysNoSuchFile, saysServerFull } from './ftp-replies';

/** What the FTP session was doing when an error happened (a 421 at login means "too many"). */
export type FtpPhase = 'login' | 'list' | 'transfer';

/** FTP replies → FanoutError codes (the reply code in `detail.ftpReply`); socket errors through toFanoutError. */
export function mapFtpError(e: unknown, phase: FtpPhase, context: ErrorContext): FanoutError {
  if (e instanceof FanoutError) return e.withContext(context);
  if (e instanceof FTPError) {
    const code = e.code;
    const msg = `FTP ${code}: ${e.message.replace(/^\d{3}[ -]/, '').trim()}`;
    const options = { cause: e, detail: { ftpReply: code } };
    // "Server full" in any words, at login or later (a server may count sessions at PASS).
    if (saysServerFull(code, e.message) || (code === 421 && phase === 'login')) return new FanoutError('TOO_MANY_CONNECTIONS', msg, context, options);
    if (code === 421) return new FanoutError('FTP_TRANSIENT', msg, context, options);
    if (code === 530 && phase === 'login') return new FanoutError('AUTH_FAILED', msg, context, options);
    if (code === 550 || (code === 450 && saysNoSuchFile(e.message))) return new FanoutError('FTP_NOT_FOUND', msg, context, options);
    if (code >= 400 && code < 500) return new FanoutError('FTP_TRANSIENT', msg, context, options);
    if (code >= 500) return new FanoutError('FTP_PERMANENT', msg, context, options);
  }
  return mapSocketError(e, context);
}

/** `ftps://` to a server that refuses `AUTH TLS` (e.g. vsftpd without TLS: 530): TLS_FAILED, permanent. */
export function authTlsRefused(e: FTPError, host: string): FanoutError {
  const reply = `FTP ${e.code}: ${e.message.replace(/^\d{3}[ -]/, '').trim()}`;
  return new FanoutError('TLS_FAILED', `${host} refused AUTH TLS (${reply}): it offers no explicit FTPS; try ftp:// or implicit TLS`, {}, { cause: e });
}

/** The server's first line is no FTP reply (see ftp-login.ts `withGreetingCheck`): quoted, printable, short. */
export function notFtpGreeting(line: string, host: string, port: number): FanoutError {
  const message = `${host}:${port} is not an FTP server: its first line was "${quoteFirstLine(line)}" (is the port right?)`;
  return new FanoutError('CONNECTION_RESET', message, { host }, { cause: new NotTheProtocolError(message, line) });
}

/** The server accepted the connection and said nothing for the whole timeout (an HTTP server waits for a request). */
export function noFtpGreeting(host: string, port: number, timeoutMs: number, err: unknown): FanoutError {
  const message = `${host}:${port} accepted the connection but sent no FTP greeting in ${Math.round(timeoutMs / 100) / 10} s: is it an FTP port? (${(err as Error).message})`;
  return new FanoutError('TIMEOUT', message, { host }, { cause: new NotTheProtocolError(message, null) });
}
