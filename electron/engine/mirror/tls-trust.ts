import tls from 'node:tls';
import type { MirrorTlsOptions } from './types';

/** The certificate checks a mirror session applies (passed to `tls.connect` / `https.Agent`). */
export interface TlsTrust {
  rejectUnauthorized: boolean;
  /** Node's bundled roots plus the caller's extra CAs; undefined = Node's default list. */
  ca?: Array<string | Buffer>;
}

/**
 * `MirrorTlsOptions` → the options given to Node. Node's `ca` replaces its bundled roots, so extra
 * CAs are added to `tls.rootCertificates` (the caller adds trust, never removes it).
 */
export function tlsTrust(opts: MirrorTlsOptions | undefined): TlsTrust {
  const rejectUnauthorized = opts?.rejectUnauthorized ?? true;
  const extra = opts?.ca === undefined ? [] : Array.isArray(opts.ca) ? opts.ca : [opts.ca];
  return extra.length === 0 ? { rejectUnauthorized } : { rejectUnauthorized, ca: [...tls.rootCertificates, ...extra] };
}
