import type { Socket } from 'node:net';
import { FTPError, type Client, type FTPResponse } from 'basic-ftp';
import { socksConnect, type Socks5Proxy } from './socks';

/**
 * An FTP mirror through a SOCKS5 proxy. basic-ftp opens its control socket itself, but takes one
 * set on `client.ftp.socket` (its public setter, as `useTLS` does); the data connections are ours
 * already (mirror/ftp-pipeline.ts `connectPassive`, for the batch engine and, through the
 * `prepareTransfer` the session sets, for basic-ftp's own transfers), and go through the proxy to
 * the mirror's host at the port of each `229` (EPSV only: a `227` names an address the proxy
 * might not reach, and EPSV is what the sessions use anyway).
 */
export interface SocksRoute {
  proxy: Socks5Proxy;
  /** The FTP server's host as the job names it (the proxy resolves it). */
  host: string;
}

const routes = new WeakMap<Client, SocksRoute>();

/** The proxy a client's data connections go through, when its control connection does. */
export function socksRouteOf(client: Client): SocksRoute | undefined {
  return routes.get(client);
}

/** A data connection through the client's proxy to `port` on its server. */
export function socksDataSocket(route: SocksRoute, port: number, timeoutMs: number): Promise<Socket> {
  return socksConnect(route.proxy, { host: route.host, port }, timeoutMs);
}

/**
 * Opens the client's control connection through the proxy and reads the server's greeting
 * (what basic-ftp's `connect()` does once its own socket is open); rejects on a refusal (421...).
 */
export async function connectThroughSocks(client: Client, route: SocksRoute, port: number, timeoutMs: number): Promise<FTPResponse> {
  const tunnel = await socksConnect(route.proxy, { host: route.host, port }, timeoutMs);
  routes.set(client, route);
  client.ftp.socket = tunnel;
  // Registered before the tunnel is resumed: a greeting read with no task waiting would be dropped.
  const greeting = client.ftp.handle(undefined, (res, task) => {
    if (res instanceof Error) task.reject(res);
    else if (res.code >= 200 && res.code < 300) task.resolve(res);
    else task.reject(new FTPError(res));
  }) as Promise<FTPResponse>;
  tunnel.resume();
  return greeting;
}
