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
