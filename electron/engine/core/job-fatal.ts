import type { FanoutErrorCode } from '../../../shared/errors';
import { redactUrl } from '../../../shared/input-checks';
import { FanoutError } from './fanout-error';
import { isNotHttpAtAll, isNotTheProtocol } from '../net/not-the-protocol';

/**
 * Job-fatal errors: failures that are no item's own, so retrying the item or going on with the
 * next one cannot help (the mirror refuses our login, its certificate is not trusted, its name does
 * not resolve, nothing listens; the output disk is full). `runPool` stops at the first one: it
 * takes no more items, stops the items in flight (they are not recorded as failed: not tried, they
 * stay pending for a re-run) and rejects with that error, which the job reports once.
 */
export type JobFatalCheck = (err: FanoutError, state: { connected: boolean }) => boolean;

/** The server cannot be used at all, whatever the item: refused login, TLS, DNS. */
const ALWAYS_FATAL = new Set<FanoutErrorCode>(['AUTH_FAILED', 'TLS_FAILED', 'DNS_FAILED']);

/**
 * The server cannot be reached or refuses us: the codes above always; while no item has been done
 * yet, a refused connection, or an answer that is not the protocol at all (an http:// URL to an FTP
 * or SSH port: every book failed CONNECTION_RESET one by one, each recorded failed; a garbled
 * header is not that, but one response's fault). Once the server has served us, either is a
 * restart or a blip: the item is retried as usual.
 */
export const serverUnreachable: JobFatalCheck = (err, { connected }) =>
  ALWAYS_FATAL.has(err.code) || (!connected && (err.code === 'CONNECTION_REFUSED' || (err.code === 'CONNECTION_RESET' && isNotHttpAtAll(err.cause)) || notFtpAtAll(err)));

/**
 * An ftp:// URL to a server that is not FTP (mirror/ftp-login.ts): silent for the whole timeout (an
 * HTTP server waits for a request: TIMEOUT, every book failed one by one), or a first line that is
 * no FTP reply (CONNECTION_RESET); either's cause a NotTheProtocolError.
 */
function notFtpAtAll(err: FanoutError): boolean {
  return (err.code === 'TIMEOUT' || err.code === 'CONNECTION_RESET') && isNotTheProtocol(err.cause);
}

/**
 * The one message a stopped job shows: what failed, where (the URL, its password hidden), and
 * that nothing else was tried. Keeps the code and the context (host, path).
 */
export function stoppedJobError(err: FanoutError, url: string): FanoutError {
  const where = redactUrl(url);
  // No item's context: the job stopped, not a book (the URL says where).
  const { ebook: _ebook, path: _path, ...context } = err.context;
  return new FanoutError(err.code, `${where}: ${err.message}. The job stopped; the books not fetched stay pending for a re-run.`, context, { cause: err });
}
