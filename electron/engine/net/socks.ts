import net from 'node:net';
import { lookup } from 'node:dns/promises';

/**
 * A SOCKS `CONNECT`: v5 (RFC 1928; user/password per RFC 1929) and v4 (v4a when the proxy is to
 * resolve the name), for the FTP mirror's control and data connections (net/ftp-over-socks.ts) and
 * for IMAP (mail/socks-transport.ts). v5 sends the destination by name (the proxy resolves it, as
 * curl's `socks5h://`); `socks4://` resolves it here (SOCKS4 carries only an IPv4 address),
 * `socks4a://` sends the name.
 * Why by hand and not the `socks` package (imapflow's own proxy path): FTP and IMAP servers speak
 * first, and their greeting can arrive in the same packet as the proxy's reply; `socks` re-emits
 * such bytes with `emit('data')` on a later tick and resumes the socket, so they are lost unless a
 * reader is already attached (basic-ftp attaches its own only when handed the socket, imapflow a
 * tick after `socks` emits: the greeting timed out through Dante in CI). Here they are unshifted
 * into a paused socket, and the handshake's bytes are kept out of the transfer counts.
 */
export interface SocksProxy {
  version: 4 | 5;
  host: string;
  port: number;
  /** v5: user name for RFC 1929; v4: the USERID field. */
  user?: string;
  password?: string;
  /** v4 only: send the name (SOCKS4a) instead of resolving it here. */
  proxyResolves?: boolean;
}

/** A SOCKS5 proxy: what an FTP mirror goes through. */
export type Socks5Proxy = SocksProxy & { version: 5 };

const SCHEMES: Record<string, Pick<SocksProxy, 'version' | 'proxyResolves'>> = {
  'socks5:': { version: 5 },
  'socks5h:': { version: 5 },
  'socks:': { version: 5 },
  'socks4:': { version: 4, proxyResolves: false },
  'socks4a:': { version: 4, proxyResolves: true },
};

/** `socks5://[user:password@]host[:port]` (or socks5h, socks, socks4, socks4a); port 1080 by default. Throws on another scheme. */
export function parseSocksUrl(url: string): SocksProxy {
  const u = new URL(url);
  const scheme = SCHEMES[u.protocol];
  if (!scheme) throw new Error(`not a SOCKS proxy URL: ${u.protocol}//`);
  if (!u.hostname) throw new Error('the proxy URL names no host');
  return {
    ...scheme,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 1080,
    ...(u.username ? { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {}),
  };
}

/** `socks5://` or `socks5h://` only (an FTP mirror's proxy). Throws on another scheme. */
export function parseSocks5Url(url: string): Socks5Proxy {
  const proxy = parseSocksUrl(url);
  if (proxy.version !== 5 || !/^socks5h?:$/.test(new URL(url).protocol)) throw new Error(`not a SOCKS5 proxy URL: ${new URL(url).protocol}//`);
  return proxy as Socks5Proxy;
}

const REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

const REPLIES_V4: Record<number, string> = {
  91: 'request rejected or failed',
  92: 'request rejected: the proxy cannot reach our identd',
  93: 'request rejected: identd reports a different user',
};

/** A failure of the proxy's own (not of the destination's): names the proxy; `code` as a socket's (ECONNREFUSED...). */
export class SocksProxyError extends Error {
  readonly code: string;
  constructor(proxy: SocksProxy, message: string, code = 'EPROXY', cause?: unknown) {
    super(`SOCKS${proxy.version} proxy ${proxy.host}:${proxy.port}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'SocksProxyError';
    this.code = code;
  }
}

/**
 * A socket to `dest` through the proxy, the handshake done, bounded by `timeoutMs` in all. It is
 * handed over paused (the caller resumes or pipes it), with the bytes the destination sent right
 * behind the proxy's reply (an FTP or IMAP greeting) still in it, unread. `socket` is a fresh,
 * unconnected one to use (a caller that must hand a socket on before the tunnel is up: imapflow's
 * transport); on failure it is destroyed with the SocksProxyError, so its other listeners learn why.
 */
export function socksConnect(proxy: SocksProxy, dest: { host: string; port: number }, timeoutMs: number, socket = new net.Socket()): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let buffered = Buffer.alloc(0);
    let step: 'method' | 'auth' | 'reply' = proxy.version === 5 ? 'method' : 'reply';
    // The error and close listeners stay on a failed socket: destroy(err) emits on a later tick.
    const fail = (err: SocksProxyError) => {
      if (settled) return;
      settled = true;
      socket.removeListener('data', onData);
      socket.removeListener('timeout', onTimeout);
      socket.setTimeout(0);
      socket.destroy(err);
      reject(err);
    };
    const onTimeout = () => fail(new SocksProxyError(proxy, `no answer within ${timeoutMs} ms`, 'ETIMEDOUT'));
    const onError = (err: NodeJS.ErrnoException) => fail(new SocksProxyError(proxy, err.message, err.code, err));
    const onClose = () => fail(new SocksProxyError(proxy, 'closed the connection during the handshake', 'ECONNRESET'));
    socket.setTimeout(timeoutMs, onTimeout);
    socket.once('error', onError);
    socket.once('close', onClose);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (step === 'method') {
        if (buffered.length < 2) return;
        const method = buffered[1]!;
        buffered = buffered.subarray(2);
        if (method === 2 && proxy.user !== undefined) {
          const user = Buffer.from(proxy.user);
          const pass = Buffer.from(proxy.password ?? '');
          if (user.length > 255 || pass.length > 255) return fail(new SocksProxyError(proxy, 'user name or password longer than 255 bytes'));
          step = 'auth';
          socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
          return;
        }
        if (method !== 0) {
          const why = proxy.user === undefined ? 'takes no connection without a user name and password; give socks5://user:password@host:port' : 'accepts none of our authentication methods';
          return fail(new SocksProxyError(proxy, why));
        }
        step = 'reply';
        socket.write(connectRequest5(dest));
        return onData(Buffer.alloc(0));
      }
      if (step === 'auth') {
        if (buffered.length < 2) return;
        if (buffered[1] !== 0) return fail(new SocksProxyError(proxy, 'refused the user name and password'));
        buffered = buffered.subarray(2);
        step = 'reply';
        socket.write(connectRequest5(dest));
        return onData(Buffer.alloc(0));
      }
      const total = replyLength(proxy, dest, buffered, fail);
      if (total === null || buffered.length < total) return;
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      // The handshake's timeout handler must not outlive it: the stall timers set later on this
      // socket (a data connection paused by the bandwidth cap re-arms its own) would also fire it.
      socket.removeListener('timeout', onTimeout);
      socket.setTimeout(0);
      socket.pause();
      settled = true;
      const early = buffered.subarray(total);
      if (early.length > 0) socket.unshift(early);
      resolve(withoutHandshakeCounts(socket, socket.bytesRead - early.length, socket.bytesWritten));
    };
    socket.on('data', onData);
    socket.once('connect', () => {
      if (proxy.version === 5) socket.write(Buffer.from(proxy.user !== undefined ? [5, 2, 0, 2] : [5, 1, 0]));
    });
    void v4Destination(proxy, dest).then(
      (request) => {
        if (settled) return;
        if (request) socket.once('connect', () => socket.write(request));
        socket.connect({ host: proxy.host, port: proxy.port });
      },
      (err: NodeJS.ErrnoException) => fail(new SocksProxyError(proxy, `cannot resolve ${dest.host} for SOCKS4: ${err.message}`, err.code ?? 'ENOTFOUND', err)),
    );
  });
}

/** The SOCKS4 request (the name resolved here unless the proxy is to, v4a), or null for v5. */
async function v4Destination(proxy: SocksProxy, dest: { host: string; port: number }): Promise<Buffer | null> {
  if (proxy.version !== 4) return null;
  const port = Buffer.from([dest.port >> 8, dest.port & 0xff]);
  const user = Buffer.concat([Buffer.from(proxy.user ?? ''), Buffer.from([0])]);
  if (!net.isIPv4(dest.host) && proxy.proxyResolves) {
    return Buffer.concat([Buffer.from([4, 1]), port, Buffer.from([0, 0, 0, 1]), user, Buffer.from(dest.host), Buffer.from([0])]);
  }
  const ip = net.isIPv4(dest.host) ? dest.host : (await lookup(dest.host, { family: 4 })).address;
  return Buffer.concat([Buffer.from([4, 1]), port, Buffer.from(ip.split('.').map(Number)), user]);
}

/** The length of the CONNECT reply at the start of `buffered` (null: not all there yet); fails on a refusal. */
function replyLength(proxy: SocksProxy, dest: { host: string; port: number }, buffered: Buffer, fail: (err: SocksProxyError) => void): number | null {
  if (proxy.version === 4) {
    // VN CD DSTPORT DSTIP: CD 90 is granted.
    if (buffered.length < 8) return null;
    const cd = buffered[1]!;
    if (cd !== 90) {
      fail(new SocksProxyError(proxy, `cannot reach ${dest.host}:${dest.port}: ${REPLIES_V4[cd] ?? `reply ${cd}`}`, cd === 91 ? 'ECONNREFUSED' : 'EPROXY'));
      return null;
    }
    return 8;
  }
  // VER REP RSV ATYP BND.ADDR BND.PORT
  if (buffered.length < 5) return null;
  const rep = buffered[1]!;
  if (rep !== 0) {
    fail(new SocksProxyError(proxy, `cannot reach ${dest.host}:${dest.port}: ${REPLIES[rep] ?? `reply ${rep}`}`, rep === 5 ? 'ECONNREFUSED' : 'EPROXY'));
    return null;
  }
  const atyp = buffered[3]!;
  const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : atyp === 3 ? 1 + buffered[4]! : -1;
  if (addrLen < 0) {
    fail(new SocksProxyError(proxy, `answered with an unknown address type ${atyp}`));
    return null;
  }
  return 4 + addrLen + 2;
}

/**
 * `bytesRead`/`bytesWritten` from after the handshake: they are what a transfer's progress counts
 * (basic-ftp's tracker adds them up for a download), and the proxy's bytes are not the file's.
 */
function withoutHandshakeCounts(socket: net.Socket, read: number, written: number): net.Socket {
  const proto = Object.getOwnPropertyDescriptors(net.Socket.prototype);
  Object.defineProperty(socket, 'bytesRead', { get: () => (proto.bytesRead!.get!.call(socket) as number) - read });
  Object.defineProperty(socket, 'bytesWritten', { get: () => (proto.bytesWritten!.get!.call(socket) as number) - written });
  return socket;
}

function connectRequest5(dest: { host: string; port: number }): Buffer {
  const port = Buffer.from([dest.port >> 8, dest.port & 0xff]);
  if (net.isIPv4(dest.host)) return Buffer.concat([Buffer.from([5, 1, 0, 1]), Buffer.from(dest.host.split('.').map(Number)), port]);
  const name = Buffer.from(dest.host);
  if (name.length > 255) throw new Error(`host name longer than 255 bytes: ${dest.host.slice(0, 40)}...`);
  return Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, port]);
}
