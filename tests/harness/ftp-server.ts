import { mkdir, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { delay, waitForPort } from './net-util';
import { makeTreeWorldReadable, startInTempDir, startServerProcess } from './server-process';

/** Where .ci/servers/*.sh unpack servers whose packages conflict: $FANOUT_SERVERS, default /opt/fanout-servers. */
export function fanoutServersDir(): string {
  return path.resolve(process.env.FANOUT_SERVERS || '/opt/fanout-servers');
}

/** FTPS for the test server: a certificate (e.g. from `makeSelfSignedCert`) and the TLS flavour. */
export interface FtpTlsOptions {
  /** PEM certificate and key. */
  cert: string;
  key: string;
  /** Implicit TLS (TLS from the first byte, like port 990) instead of explicit `AUTH TLS`. */
  implicit?: boolean;
  /**
   * vsftpd `require_ssl_reuse`: data connections must resume the control connection's TLS session
   * (vsftpd's default, and what basic-ftp does). Default true; false accepts fresh sessions.
   */
  requireSessionReuse?: boolean;
}

export interface FtpServerOptions {
  /** Folder served as the anonymous root (made world-readable: vsftpd serves only such files). */
  root: string;
  /** vsftpd `max_per_ip`: sessions from one address before the server answers 421. Default 50. */
  maxPerIp?: number;
  /** Extra `key=value` lines appended to the generated vsftpd.conf. */
  extraConfig?: string[];
  /** Serve FTPS only: anonymous logins and data connections must use TLS. */
  tls?: FtpTlsOptions;
}

/** A real FTP server the harness started (vsftpd, pure-ftpd, proftpd: see ftp-servers.ts). */
export interface FtpServer {
  kind: 'vsftpd' | 'pure-ftpd' | 'proftpd';
  /** `ftp://[user:password@]127.0.0.1:PORT` (the login the server accepts); `ftps://…` when started with `tls`. */
  url: string;
  port: number;
  /** PID of the listener (leader of its own process group). */
  pid: number;
  /** The same login through a relay at `hostPort` (a `startTcpProxy`): `ftp://[user:password@]hostPort`. */
  urlVia(hostPort: string): string;
  /** The server's own log, when it writes one. */
  logPath?: string;
  /** Counts successful logins so far, from the server's log (rejects for a server that logs only to syslog). */
  countLogins(): Promise<number>;
  /** SIGTERM to the process group, SIGKILL after 2 s; removes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

/** vsftpd: its protocol log (`log_ftp_protocol=YES`); logins are its `OK LOGIN` lines. */
export interface VsftpdServer extends FtpServer {
  logPath: string;
}

const VSFTPD = '/usr/sbin/vsftpd';

/**
 * Starts Debian's vsftpd as an anonymous read-only server on 127.0.0.1 from a config file in a
 * temp folder. Resolves once the server sends its 220 banner (at most ~5 s). Retries at most 3
 * times (a port clash).
 */
export async function startFtpServer(opts: FtpServerOptions): Promise<VsftpdServer> {
  await makeTreeWorldReadable(opts.root);
  let logPath = '';
  const proc = await startInTempDir('fanout-vsftpd-', async (tmp) => {
    const empty = path.join(tmp, 'empty');
    await mkdir(empty, { mode: 0o755 });
    logPath = path.join(tmp, 'vsftpd.log');
    const confPath = path.join(tmp, 'vsftpd.conf');
    return startServerProcess({
      name: 'vsftpd',
      cmd: VSFTPD,
      args: async (port) => {
        await writeFile(confPath, (await vsftpdConfig(tmp, port, opts)).join('\n') + '\n', { mode: 0o600 });
        return [confPath];
      },
      ready: async (port, isAlive) => {
        const banner = opts.tls?.implicit
          ? await waitForTlsBanner(port, isAlive)
          : await waitForPort(port, { attempts: 100, intervalMs: 50, quit: true, isAlive });
        if (!banner.startsWith('220')) throw new Error(`unexpected vsftpd banner: ${banner}`);
        // The probe's session has closed; give the listener a moment to reap it (max_per_ip count).
        await delay(100);
      },
    });
  });
  const scheme = opts.tls ? 'ftps' : 'ftp';
  return {
    kind: 'vsftpd',
    url: `${scheme}://127.0.0.1:${proc.port}`,
    port: proc.port,
    pid: proc.pid,
    urlVia: (hostPort) => `${scheme}://${hostPort}`,
    logPath,
    async countLogins() {
      const text = await readFile(logPath, 'utf8').catch(() => '');
      return text.split('\n').filter((l) => l.includes('OK LOGIN')).length;
    },
    stop: proc.stop,
  };
}

/** vsftpd.conf for `port`, in `tmp` (its empty chroot folder, log, TLS files). */
async function vsftpdConfig(tmp: string, port: number, opts: FtpServerOptions): Promise<string[]> {
  const empty = path.join(tmp, 'empty');
  const logPath = path.join(tmp, 'vsftpd.log');
  // Random passive range per server so parallel test files don't clash.
  const pasvMin = 20000 + Math.floor(Math.random() * 400) * 100;
  return [
    'listen=YES',
    'listen_ipv6=NO',
    'listen_address=127.0.0.1',
    `listen_port=${port}`,
    'background=NO',
    'seccomp_sandbox=NO',
    'anonymous_enable=YES',
    'local_enable=NO',
    'write_enable=NO',
    'no_anon_password=YES',
    `anon_root=${path.resolve(opts.root)}`,
    'ftp_username=ftp',
    'nopriv_user=nobody',
    `secure_chroot_dir=${empty}`,
    'pasv_enable=YES',
    'pasv_address=127.0.0.1',
    `pasv_min_port=${pasvMin}`,
    `pasv_max_port=${pasvMin + 99}`,
    'connect_from_port_20=NO',
    `max_per_ip=${opts.maxPerIp ?? 50}`,
    'max_clients=500',
    'dirmessage_enable=NO',
    'use_localtime=NO',
    'hide_ids=YES',
    'xferlog_enable=YES',
    'xferlog_std_format=NO',
    'log_ftp_protocol=YES',
    `vsftpd_log_file=${logPath}`,
    'idle_session_timeout=120',
    'data_connection_timeout=60',
    ...(opts.tls ? await tlsConfig(tmp, opts.tls) : []),
    ...(opts.extraConfig ?? []),
  ];
}

/** vsftpd.conf lines for FTPS; writes the certificate and key (0600) into the server's temp folder. */
async function tlsConfig(tmp: string, t: FtpTlsOptions): Promise<string[]> {
  const certPath = path.join(tmp, 'cert.pem');
  const keyPath = path.join(tmp, 'key.pem');
  await writeFile(certPath, t.cert, { mode: 0o600 });
  await writeFile(keyPath, t.key, { mode: 0o600 });
  return [
    'ssl_enable=YES',
    `rsa_cert_file=${certPath}`,
    `rsa_private_key_file=${keyPath}`,
    'allow_anon_ssl=YES',
    'force_anon_logins_ssl=YES',
    'force_anon_data_ssl=YES',
    'ssl_sslv2=NO',
    'ssl_sslv3=NO',
    'ssl_tlsv1=YES',
    // vsftpd 3.0.3's default list is DES-CBC3-SHA alone, which Node no longer offers.
    'ssl_ciphers=HIGH',
    'ssl_request_cert=NO',
    `require_ssl_reuse=${t.requireSessionReuse === false ? 'NO' : 'YES'}`,
    `implicit_ssl=${t.implicit ? 'YES' : 'NO'}`,
    'debug_ssl=YES',
  ];
}

/**
 * Implicit FTPS: the banner comes after the TLS handshake. Polls (at most 100 tries, 50 ms apart,
 * each bounded to 1 s) until a TLS connection gets the `220`, then says QUIT and waits for the close.
 */
async function waitForTlsBanner(port: number, isAlive: () => boolean): Promise<string> {
  let last: unknown = null;
  for (let i = 0; i < 100; i++) {
    if (!isAlive()) throw new Error(`vsftpd on port ${port} exited before accepting connections`);
    try {
      return await tlsProbe(port, 1000);
    } catch (e) {
      last = e;
      await delay(50);
    }
  }
  throw new Error(`vsftpd on port ${port} did not answer over TLS: ${String(last)}`);
}

function tlsProbe(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    const timer = setTimeout(() => done(new Error(`TLS probe timeout on port ${port}`)), timeoutMs);
    let banner = '';
    function done(err: Error | null) {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(banner);
    }
    sock.once('error', (e) => done(e));
    sock.once('data', (d: Buffer) => {
      banner = d.toString('latin1');
      sock.write('QUIT\r\n');
      sock.once('close', () => done(null));
    });
  });
}
