import net from 'node:net';
import tls from 'node:tls';
import { FTPError, type Client, type FTPResponse } from 'basic-ftp';
import { socksDataSocket, socksRouteOf } from '../net/ftp-over-socks';

/**
 * Sends `first` through basic-ftp (which checks it) and the constant `then` right behind it on the
 * control socket (plain or TLS), without waiting; resolves with both replies (FTP errors as values),
 * in order. Servers handle commands in order (RFC 959), so this saves one round trip.
 */
export function sendPipelined(client: Client, first: string, then: 'EPSV'): Promise<[FTPResponse | FTPError, FTPResponse | FTPError]> {
  const replies: Array<FTPResponse | FTPError> = [];
  const done = client.ftp.handle(first, (res, task) => {
    if (res instanceof Error && !(res instanceof FTPError)) return task.reject(res);
    if (!(res instanceof FTPError) && res.code < 200) return; // preliminary
    replies.push(res);
    if (replies.length === 2) task.resolve(replies);
  }) as Promise<[FTPResponse | FTPError, FTPResponse | FTPError]>;
  // handle() has written `first` synchronously; queue the second command behind it.
  if (!client.closed) client.ftp.socket.write(`${then}\r\n`);
  return done;
}

/**
 * Sends `commands` in one write and resolves with their final replies, in order (FTP errors as
 * values; preliminary 1xx replies skipped), or with the replies so far once `stopAt` says so. Rejects on a connection failure or timeout. The
 * commands must be constants or checked for CR/LF by the caller.
 */
export function sendAll(client: Client, commands: string[], stopAt?: (reply: FTPResponse | FTPError, index: number) => boolean): Promise<Array<FTPResponse | FTPError>> {
  const replies: Array<FTPResponse | FTPError> = [];
  const done = client.ftp.handle(undefined, (res, task) => {
    if (res instanceof Error && !(res instanceof FTPError)) return task.reject(res);
    if (!(res instanceof FTPError) && res.code < 200) return; // preliminary
    replies.push(res);
    // `stopAt`: the rest will not be waited for (the caller drops the connection).
    if (replies.length === commands.length || stopAt?.(res, replies.length - 1)) task.resolve(replies);
  }) as Promise<Array<FTPResponse | FTPError>>;
  if (!client.closed) client.ftp.socket.write(commands.map((c) => `${c}\r\n`).join(''), client.ftp.encoding);
  return done;
}

/** The port of a `229 Entering Extended Passive Mode (|||port|)` reply, or null. */
export function epsvPort(message: string): number | null {
  const port = Number(/\|\|\|(\d+)\|/.exec(message)?.[1]);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
}

/**
 * Opens the data connection to the port of a `229` reply, bounded by `timeoutMs`, and hands it to
 * basic-ftp (`client.ftp.dataSocket`). See connectPassive.
 */
export async function openPassive(client: Client, epsv: FTPResponse, timeoutMs: number): Promise<void> {
  const port = epsvPort(epsv.message);
  if (!port) throw new Error(`Cannot use passive reply: ${epsv.message}`);
  client.ftp.dataSocket = await connectPassive(client, port, timeoutMs);
}

/**
 * A data connection to `port` on the control connection's host, bounded by `timeoutMs`: directly,
 * or through the SOCKS5 proxy the control connection went through (../net/ftp-over-socks.ts). Over
 * FTPS (`PROT P`) the data connection is TLS too, with the control connection's options and resuming its
 * TLS session, as basic-ftp does for its own data connections: servers such as vsftpd
 * (`require_ssl_reuse=YES`, the default) refuse a data connection that does not resume it. The TLS
 * handshake completes while the RETR is on its way (errors surface on the returned socket).
 */
export async function connectPassive(client: Client, port: number, timeoutMs: number): Promise<net.Socket> {
  const control = client.ftp.socket;
  const route = socksRouteOf(client);
  const raw = route ? await socksDataSocket(route, port, timeoutMs) : await connectDirect(control.remoteAddress, port, timeoutMs);
  if (!(control instanceof tls.TLSSocket)) return raw;
  raw.on('error', () => {}); // surfaces on the TLS socket
  const secure = tls.connect({ ...client.ftp.tlsOptions, socket: raw, session: client.ftp.tlsSessionStore ?? control.getSession() });
  // TLS 1.3 tickets are single-use: keep the newest for the next data connection.
  secure.on('session', (session: Buffer) => {
    client.ftp.tlsSessionStore = session;
  });
  return secure;
}

function connectDirect(host: string | undefined, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (!host) return reject(new Error('The control connection is closed'));
    const raw = net.connect({ host, port });
    raw.setTimeout(timeoutMs, () => {
      raw.destroy();
      reject(Object.assign(new Error(`Timeout opening the data connection to ${host}:${port}`), { code: 'ETIMEDOUT' }));
    });
    raw.once('error', reject);
    raw.once('connect', () => {
      raw.setTimeout(0);
      raw.removeListener('error', reject);
      resolve(raw);
    });
  });
}

/**
 * Records the preliminary replies (1xx) of the `RETR` (or `REST` + `RETR`) basic-ftp sends until
 * `stop()`: what a transfer of unknown size says of its size (ftp-replies.ts `announcedSize`).
 * Wraps `client.ftp.handle` (see README, basic-ftp internals) for that command's replies only.
 */
export function recordTransferReplies(client: Client): { messages: string[]; stop(): void } {
  const ftp = client.ftp;
  const original = ftp.handle;
  const messages: string[] = [];
  ftp.handle = function (this: typeof ftp, command, handler) {
    if (!command || !/^(RETR|REST) /i.test(command)) return original.call(this, command, handler);
    return original.call(this, command, (res, task) => {
      if (!(res instanceof Error) && res.code >= 100 && res.code < 200 && messages.length < 8) messages.push(res.message);
      handler(res, task);
    });
  };
  return {
    messages,
    stop() {
      ftp.handle = original;
    },
  };
}
