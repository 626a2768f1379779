import net from 'node:net';

/** A relay listening, and how to stop it (every connection destroyed, the listener closed). */
export interface RelayServer {
  port: number;
  stop(): Promise<void>;
}

/**
 * The skeleton of the mail tests' TCP relays to an IMAP server (command-relay, hold-relay,
 * greeting-relay, response-relay): each accepted client gets its own connection to the server on
 * 127.0.0.1:`targetPort`; `pair` wires what flows between the two (and records what it wants);
 * either side's close or error ends both.
 */
export async function startRelayServer(targetPort: number, pair: (client: net.Socket, upstream: net.Socket) => void, listenHost = '127.0.0.1'): Promise<RelayServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) s.on('close', end).on('error', end);
    pair(client, upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, listenHost, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
