// The server at the other end answers, but not in the protocol the URL names: how each protocol tells.

/** undici's HTTPParserError: the server's bytes are not valid HTTP (its `code` is often unset). */
export function isParserError(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return (typeof code === 'string' && code.startsWith('HPE_')) || (e as { name?: unknown } | undefined)?.name === 'HTTPParserError';
}

/**
 * The answer did not even start as HTTP (llhttp: "Expected HTTP/", HPE_INVALID_CONSTANT): an FTP or
 * SSH greeting, TLS bytes. A bad header or chunk size raises the same error class but is one
 * response's fault (a server's or a middlebox's hiccup), retried as usual: only this is "not an
 * HTTP server at all". undici leaves `code` unset, so its message is read too.
 */
export function isNotHttpAtAll(e: unknown): boolean {
  if (!isParserError(e)) return false;
  const { code, message } = e as { code?: unknown; message?: unknown };
  return code === 'HPE_INVALID_CONSTANT' || (typeof message === 'string' && message.includes('Expected HTTP/'));
}

/**
 * The server at the other end does not speak the protocol at all: an ftp:// URL to an HTTP port
 * (silent: no FTP greeting ever comes) or to an SSH port (its banner is no FTP reply). The cause of
 * the FanoutError (TIMEOUT for silence, CONNECTION_RESET for a foreign first line): before the job
 * has done anything it is the mirror's fault, not the book's (core/job-fatal.ts).
 */
export class NotTheProtocolError extends Error {
  override readonly name = 'NotTheProtocolError';
  /** The server's first line, as sent (null: it sent nothing). */
  readonly firstLine: string | null;
  constructor(message: string, firstLine: string | null) {
    super(message);
    this.firstLine = firstLine;
  }
}

/** Whether `cause` is a `NotTheProtocolError` (by name: one from another copy of this module counts). */
export function isNotTheProtocol(cause: unknown): boolean {
  return (cause as { name?: unknown } | undefined)?.name === 'NotTheProtocolError';
}

/** A foreign server's first line as a message quotes it: printable ASCII only, at most 120 characters. */
export function quoteFirstLine(line: string): string {
  return line.replace(/[^\x20-\x7e]/g, '?').slice(0, 120) + (line.length > 120 ? '...' : '');
}
