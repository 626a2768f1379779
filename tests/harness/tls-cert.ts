import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface SelfSignedCert {
  /** PEM certificate: self-signed, CA:TRUE, subjectAltName = the host. Also usable as a `ca`. */
  cert: string;
  /** PEM private key (P-256, unencrypted). */
  key: string;
}

export interface SelfSignedCertOptions {
  /** IP address or DNS name the certificate is for. Default `127.0.0.1`. */
  host?: string;
  /** Validity in days. Default 2. */
  days?: number;
}

const OPENSSL = '/usr/bin/openssl';
/** openssl makes a P-256 key and certificate in ~20 ms; this only bounds a wedged process. */
const OPENSSL_TIMEOUT_MS = 15_000;

/**
 * Makes a self-signed certificate and key for `host` with Debian's `openssl`, in a temp folder that
 * is removed before returning (the PEM text is returned, nothing stays on disk). Bounded by a 15 s
 * timeout. Node clients reject it unless told to trust it (`rejectUnauthorized: false` or `ca: cert`).
 */
export async function makeSelfSignedCert(opts: SelfSignedCertOptions = {}): Promise<SelfSignedCert> {
  const host = opts.host ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(host)) throw new Error(`not a host name: ${host}`);
  const san = /^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'fanout-cert-'));
  try {
    const keyPath = path.join(tmp, 'key.pem');
    const certPath = path.join(tmp, 'cert.pem');
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    args.push('-keyout', keyPath, '-out', certPath, '-days', String(opts.days ?? 2));
    args.push('-subj', `/CN=${host}`, '-addext', `subjectAltName=${san}`);
    await new Promise<void>((resolve, reject) => {
      execFile(OPENSSL, args, { timeout: OPENSSL_TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, _out, stderr) => {
        if (err) reject(new Error(`openssl failed: ${err.message} ${String(stderr).slice(0, 2000)}`));
        else resolve();
      });
    });
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
