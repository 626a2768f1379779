/** Node / OpenSSL error codes meaning "the TLS handshake or the certificate check failed". */
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

const TLS_MESSAGE = /certificate|self[- ]signed|SSL routines|wrong version number|handshake/i;

/** True when a socket error (its code, or failing that its message) is a TLS failure. */
export function isTlsFailure(code: unknown, message: unknown): boolean {
  return (typeof code === 'string' && TLS_CODES.has(code)) || (typeof message === 'string' && TLS_MESSAGE.test(message));
}
