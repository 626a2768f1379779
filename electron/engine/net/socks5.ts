import net from 'node:net';

/**
 * A SOCKS5 `CONNECT` (RFC 1928; user/password per RFC 1929), for the FTP mirror's control and data
 * connections (net/ftp-over-socks.ts). The destination is sent by name (the proxy resolves it, as
 * curl's `socks5h://`), or as an address when it is one.
 * Why by hand and not the `socks` package (imapflow's, used for IMAP): an FTP server speaks first,
 * and its banner can arrive in the same packet as the proxy's reply; `socks` re-emits such bytes
 * with `emit('data')` on a later tick and resumes the socket, so they are lost unless a reader is
 * already attached, and basic-ftp attaches its own only when handed the socket. Here they are
 * unshifted into a paused socket, and the handshake's bytes are kept out of the transfer counts.
 */
export interface Socks5Proxy {
  host: string;
  port: number;
  user?: string;
  password?: string;
}

/** `socks5://[user:password@]host[:port]` (or `socks5h://`); port 1080 by default. Throws on another scheme. */
export function parseSocks5Url(url: string): Socks5Proxy {
  const u = new URL(url);
  if (u.protocol !== 'socks5:' && u.protocol !== 'socks5h:') throw new Error(`not a SOCKS5 proxy URL: ${u.protocol}//`);
  if (!u.hostname) throw new Error('the proxy URL names no host');
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 1080,
    ...(u.username ? { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {}),
  };
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

/** An error of the proxy's own (not of the destination's): names the proxy, code kept for toFanoutError. */
function proxyError(proxy: Socks5Proxy, message: string, code = 'EPROXY'): Error {
  return Object.assign(new Error(`SOCKS5 proxy ${proxy.host}:${proxy.port}: ${message}`), { code });
}

/**
 * A socket to `dest` through the proxy, the handshake done, bounded by `timeoutMs` in all. It is
 * handed over paused (the caller resumes or pipes it), with the bytes the destination sent right
 * behind the proxy's reply (an FTP banner) still in it, unread.
 */
export function socks5Connect(proxy: Socks5Proxy, dest: { host: string; port: number }, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: proxy.host, port: proxy.port });
    let buffered = Buffer.alloc(0);
    let step: 'method' | 'auth' | 'reply' = 'method';
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    const onTimeout = () => fail(Object.assign(proxyError(proxy, `no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    socket.setTimeout(timeoutMs, onTimeout);
    socket.once('error', (err: NodeJS.ErrnoException) => fail(Object.assign(proxyError(proxy, err.message, err.code), { cause: err })));
    socket.once('close', () => fail(proxyError(proxy, 'closed the connection during the handshake', 'ECONNRESET')));
    socket.once('connect', () => {
      socket.write(Buffer.from(proxy.user !== undefined ? [5, 2, 0, 2] : [5, 1, 0]));
    });
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (step === 'method') {
        if (buffered.length < 2) return;
        const method = buffered[1]!;
        buffered = buffered.subarray(2);
        if (method === 2 && proxy.user !== undefined) {
          const user = Buffer.from(proxy.user);
          const pass = Buffer.from(proxy.password ?? '');
          if (user.length > 255 || pass.length > 255) return fail(proxyError(proxy, 'user name or password longer than 255 bytes'));
          step = 'auth';
          socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
          return;
        }
        if (method !== 0) {
          const why = proxy.user === undefined ? 'takes no connection without a user name and password; give socks5://user:password@host:port' : 'accepts none of our authentication methods';
          return fail(proxyError(proxy, why));
        }
        step = 'reply';
        socket.write(connectRequest(dest));
        return onData(Buffer.alloc(0));
      }
      if (step === 'auth') {
        if (buffered.length < 2) return;
        if (buffered[1] !== 0) return fail(proxyError(proxy, 'refused the user name and password'));
        buffered = buffered.subarray(2);
        step = 'reply';
        socket.write(connectRequest(dest));
        return onData(Buffer.alloc(0));
      }
      // The reply: VER REP RSV ATYP BND.ADDR BND.PORT
      if (buffered.length < 5) return;
      const rep = buffered[1]!;
      if (rep !== 0) return fail(proxyError(proxy, `cannot reach ${dest.host}:${dest.port}: ${REPLIES[rep] ?? `reply ${rep}`}`, rep === 5 ? 'ECONNREFUSED' : 'EPROXY'));
      const atyp = buffered[3]!;
      const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : atyp === 3 ? 1 + buffered[4]! : -1;
      if (addrLen < 0) return fail(proxyError(proxy, `answered with an unknown address type ${atyp}`));
      const total = 4 + addrLen + 2;
      if (buffered.length < total) return;
      socket.removeListener('data', onData);
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      // The handshake's timeout handler must not outlive it: the stall timers set later on this
      // socket (a data connection paused by the bandwidth cap re-arms its own) would also fire it.
      socket.removeListener('timeout', onTimeout);
      socket.setTimeout(0);
      socket.pause();
      const early = buffered.subarray(total);
      if (early.length > 0) socket.unshift(early);
      resolve(withoutHandshakeCounts(socket, socket.bytesRead - early.length, socket.bytesWritten));
    };
    socket.on('data', onData);
  });
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

function connectRequest(dest: { host: string; port: number }): Buffer {
  const port = Buffer.from([dest.port >> 8, dest.port & 0xff]);
  if (net.isIPv4(dest.host)) return Buffer.concat([Buffer.from([5, 1, 0, 1]), Buffer.from(dest.host.split('.').map(Number)), port]);
  const name = Buffer.from(dest.host);
  if (name.length > 255) throw new Error(`host name longer than 255 bytes: ${dest.host.slice(0, 40)}...`);
  return Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, port]);
}
