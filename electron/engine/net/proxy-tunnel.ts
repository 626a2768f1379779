import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { buildConnector } from 'undici';
import { FanoutError } from '../core/fanout-error';
import { guardSocket } from '../mirror/http-connector';

/** Proxy reply headers larger than this are not an HTTP proxy talking. */
const MAX_REPLY_BYTES = 16 * 1024;

/**
 * An undici connector that opens each connection through an HTTP proxy with `CONNECT host:port`,
 * then TLS inside the tunnel for https:// (the certificate is the mirror's, checked as without a
 * proxy). Why a tunnel for plain http:// too, rather than absolute-form requests to the proxy: a
 * session's one connection stays one connection to the mirror, with its pipelining, keep-alive
 * learning and stall rule unchanged (a forwarding proxy may reorder, merge or close what we
 * pipeline). The cost: a proxy that tunnels only to port 443 (squid's default `SSL_ports`) refuses
 * plain-http mirrors, and the error says so.
 */
export function tunnelConnector(proxy: URL, options: { tls?: ConnectionOptions; timeout: number }): buildConnector.connector {
  const proxyPort = Number(proxy.port) || 80;
  const auth = proxy.username ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}\r\n` : '';
  return (opts, callback) => {
    const https = opts.protocol === 'https:';
    const host = opts.hostname.replace(/^\[|\]$/g, '');
    const port = Number(opts.port) || (https ? 443 : 80);
    const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
    const where = `the proxy ${proxy.host}`;
    let done = false;
    const finish = (err: Error | null, socket?: Socket) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        raw.destroy();
        callback(err, null);
      } else {
        guardSocket(socket!);
        callback(null, socket as never);
      }
    };
    const raw = netConnect({ host: proxy.hostname, port: proxyPort });
    const timer = setTimeout(() => finish(Object.assign(new Error(`${where} did not open a tunnel to ${authority} in ${options.timeout} ms`), { code: 'ETIMEDOUT' })), options.timeout);
    raw.once('error', (err) => finish(Object.assign(new Error(`${where}: ${err.message}`), { code: (err as { code?: string }).code })));
    raw.once('connect', () => raw.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`));
    let reply = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      const end = reply.indexOf('\r\n\r\n');
      if (end < 0) {
        if (reply.length > MAX_REPLY_BYTES) finish(new FanoutError('CONNECTION_REFUSED', `${where} sent no HTTP reply to CONNECT ${authority}`, { host }));
        return;
      }
      raw.off('data', onData);
      const status = /^HTTP\/1\.[01] (\d{3})([^\r\n]*)/.exec(reply.subarray(0, end).toString('latin1'));
      const code = status ? Number(status[1]) : 0;
      if (code < 200 || code > 299) {
        const said = status ? `HTTP ${code}${status[2]}` : 'no HTTP status';
        const hint = code === 403 && port !== 443 ? ' (many proxies tunnel only to port 443: use an https:// mirror, or NO_PROXY for this host)' : '';
        // A refused tunnel is a refused connection (before anything was fetched it stops the job at once).
        finish(new FanoutError(code === 407 ? 'AUTH_FAILED' : 'CONNECTION_REFUSED', `${where} refused the tunnel to ${authority}: ${said}${hint}`, { host }));
        return;
      }
      const rest = reply.subarray(end + 4);
      if (rest.length > 0) raw.unshift(rest); // nothing is expected before we speak, but keep it
      if (!https) return finish(null, raw);
      // `host`: the name the certificate is checked against (with `socket` given, Node would check "localhost").
      const secure = tlsConnect({ ...options.tls, socket: raw, host, servername: isIP(host) ? undefined : (opts.servername ?? host), ALPNProtocols: ['http/1.1'] });
      secure.once('secureConnect', () => finish(null, secure));
      secure.once('error', (err) => finish(err));
    };
    raw.on('data', onData);
  };
}
