import net from 'node:net';
import type tls from 'node:tls';
import { duplexPair } from 'node:stream';
import type { ImapTransport, ImapTransportOptions } from 'imapflow';
import { socksConnect, type SocksProxy } from '../net/socks';

/** What a transport saw fail while opening its tunnel: connect.ts reports it rather than the socket's bare error. */
export interface SocksTransport extends ImapTransport {
  failure: Error | null;
}

/**
 * imapflow's `transport` for an account behind a SOCKS proxy, built on net/socks.ts. Why not
 * imapflow's own `proxy` option: its SOCKS path (the `socks` package) drops a greeting that
 * arrives in the same packet as the proxy's reply, and an IMAP server speaks first: a
 * GREETING_TIMEOUT, seen in CI through Dante. Here the greeting waits, unread, in the paused
 * socket that imapflow then reads.
 * Implicit TLS: the TLS socket is started at once over one end of a pair, whose other end is
 * joined to the tunnel when it is up (imapflow wants the socket back before the tunnel exists).
 */
export function socksTransport(proxy: SocksProxy, timeoutMs: number): SocksTransport {
  const transport: SocksTransport = {
    failure: null,
    connect(options, onConnect) {
      const raw = new net.Socket();
      const tunnel = socksConnect(proxy, { host: options.host, port: options.port }, timeoutMs, raw);
      tunnel.catch((err: Error) => {
        // raw was destroyed with it: imapflow's error listener has it (or the socket's own error).
        transport.failure = err;
      });
      if (!options.secure) {
        void tunnel.then(() => onConnect(), () => undefined);
        return raw;
      }
      const [inner, outer] = duplexPair();
      const secure = tlsModule().connect({ ...tlsOptions(options), socket: inner }, onConnect);
      void tunnel.then(
        (socket) => {
          socket.pipe(outer).pipe(socket);
          // A pair's ends do not close each other: the TLS socket's end closes the tunnel, and back.
          socket.once('close', () => secure.destroy());
          secure.once('close', () => socket.destroy());
          if (secure.destroyed) socket.destroy();
        },
        (err: Error) => secure.destroy(err),
      );
      return secure;
    },
    upgrade: upgradeToTls,
  };
  return transport;
}

/**
 * node:tls, loaded on first use: this module is imported with connect.ts by the quick listing, which
 * `fanout mail` starts before its CLI loads, and a cleartext run never needs TLS.
 */
export const tlsModule = () => process.getBuiltinModule('node:tls');

/** STARTTLS on a transport's socket, as imapflow's own upgrade (shared with connect.ts's early socket). */
export const upgradeToTls: ImapTransport['upgrade'] = (socket, options, onSecure) => tlsModule().connect({ ...tlsOptions(options), socket: socket as net.Socket }, onSecure);

/** As imapflow's own tls.connect: host (checked against the certificate), servername (SNI), then the account's tls options. */
export function tlsOptions(options: ImapTransportOptions): tls.ConnectionOptions {
  return { host: options.host, port: options.port, ...(options.servername ? { servername: options.servername } : {}), ...options.tls };
}
