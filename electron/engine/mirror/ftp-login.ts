import tls from 'node:tls';
import { FTPError, type Client } from 'basic-ftp';
import { FanoutError } from '../core/fanout-error';
import { connectThroughSocks } from '../net/ftp-over-socks';
import type { Socks5Proxy } from '../net/socks';
import { pipelinedLogin } from './ftp-commands';
import { authTlsRefused, mapFtpError, noFtpGreeting, notFtpGreeting } from './ftp-errors';
import { openPassive } from './ftp-pipeline';
import type { TlsTrust } from './tls-trust';

/**
 * Connecting and logging in a session's basic-ftp Client: plain FTP in one round trip after the
 * banner (`pipelinedLogin`), FTPS through basic-ftp's `access()`, either through a SOCKS5 proxy;
 * and what a failed login means.
 */

export interface FtpLogin {
  host: string;
  port: number;
  user: string;
  password: string;
  secure: boolean | 'implicit';
  /** Certificate checks for FTPS (control and data connections). */
  tls: TlsTrust;
  timeoutMs: number;
  /** Control and data connections through this SOCKS5 proxy (plain FTP and explicit FTPS). */
  socks?: Socks5Proxy;
}

/** Connects `client` and logs in. Rejects with the raw error: see `loginError`. */
export async function loginFtp(client: Client, t: FtpLogin): Promise<void> {
  if (await connectFtp(client, t)) await pipelinedLogin(client, t.user, t.password);
}

/**
 * Connects `client` (through the SOCKS5 proxy when set). Plain FTP stops after the banner and
 * resolves true: the login is the caller's (pipelinedLogin, or a batch's first write, see
 * ftp-batch-login.ts). FTPS logs in here and resolves false. Rejects with the raw error.
 */
export async function connectFtp(client: Client, t: FtpLogin): Promise<boolean> {
  if (t.socks) return connectThroughProxy(client, t, t.socks);
  if (!t.secure) {
    await withGreetingCheck(client, t, client.connect(t.host, t.port));
    return true;
  }
  // access() makes its control socket before its first await: the greeting is watched on it too.
  const access = client.access({
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    secure: t.secure,
    // A fresh object: basic-ftp adds `host` to it and keeps it for the data connections.
    secureOptions: { ...t.tls },
  });
  await withGreetingCheck(client, t, access);
  return false;
}

/**
 * Waits for `connecting` (basic-ftp's connect, or access: the greeting first) while watching the server's first
 * line. One that is no FTP reply (`NNN text`: an SSH banner, an HTTP answer) ends it at once
 * (CONNECTION_RESET, `notFtpGreeting`); the control timeout with nothing received (an HTTP
 * server, which waits for a request) is `noFtpGreeting` (TIMEOUT). Either's cause is a
 * NotTheProtocolError: on the job's first connection the job stops (core/job-fatal.ts).
 */
async function withGreetingCheck(client: Client, t: FtpLogin, connecting: Promise<unknown>): Promise<void> {
  const socket = client.ftp.socket;
  let received = '';
  const onData = (chunk: Buffer | string) => {
    received += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const end = received.indexOf('\n');
    if (end < 0 && received.length < 512) return;
    socket.off('data', onData);
    const line = (end < 0 ? received : received.slice(0, end)).replace(/\r$/, '');
    if (!/^\d{3}([ -]|$)/.test(line)) client.ftp.closeWithError(notFtpGreeting(line, t.host, t.port));
  };
  socket.on('data', onData);
  try {
    await connecting;
  } catch (err) {
    if (received === '' && err instanceof Error && /^Timeout \(control socket\)/.test(err.message)) throw noFtpGreeting(t.host, t.port, t.timeoutMs, err);
    throw err;
  } finally {
    socket.off('data', onData);
  }
}

/** Whether the client's control connection is still plain (read before it is closed: `AUTH TLS` refused). */
export function controlIsPlain(client: Client): boolean {
  return !(client.ftp.socket instanceof tls.TLSSocket);
}

/**
 * What a failed login throws: `AUTH TLS` refused → TLS_FAILED (the server offers no explicit FTPS);
 * a connection closed during login while `loggedIn` other sessions of the job are logged in →
 * TOO_MANY_CONNECTIONS (the server's session limit, not a network fault); anything else as it came.
 */
export function loginError(e: unknown, t: FtpLogin, plain: boolean, loggedIn: number): unknown {
  if (t.secure === true && plain && e instanceof FTPError && e.code >= 500) return authTlsRefused(e, t.host);
  const err = mapFtpError(e, 'login', { host: t.host });
  if (err.code === 'CONNECTION_RESET' && loggedIn > 0) {
    return new FanoutError('TOO_MANY_CONNECTIONS', `${t.host} closed the connection during login while ${loggedIn} other session(s) are logged in: taken as its session limit (${err.message})`, { host: t.host }, { cause: e });
  }
  return e;
}

/**
 * The control connection through the SOCKS5 proxy; explicit FTPS logs in as without one (AUTH TLS
 * on the tunnel, then basic-ftp's login and settings, as `access()` does), plain FTP is left to the caller. basic-ftp's own
 * transfers (a LIST, the catalog's RETR) take EPSV and our data connection through the proxy.
 */
async function connectThroughProxy(client: Client, t: FtpLogin, proxy: Socks5Proxy): Promise<boolean> {
  const { host, port, user, password, timeoutMs } = t;
  await connectThroughSocks(client, { proxy, host }, port, timeoutMs);
  client.prepareTransfer = async (ftp) => {
    const epsv = await ftp.request('EPSV');
    await openPassive(client, epsv, timeoutMs);
    return epsv;
  };
  if (!t.secure) return true;
  await client.useTLS({ ...t.tls, host });
  await client.login(user, password);
  await client.useDefaultSettings();
  return false;
}
