import net from 'node:net';

/** What the relay saw: connections, and the most that were logged in at once. */
export interface LoginRelay {
  port: number;
  /** Client connections accepted. */
  connections: number;
  /** Connections whose LOGIN the server accepted. */
  loggedIn: number;
  /** Most connections logged in and still open at the same time (what the server held for us). */
  peakLoggedIn: number;
  stop(): Promise<void>;
}

/**
 * Answers to LOGIN that mean "logged in": Dovecot "a1 OK [...] Logged in", Cyrus "User logged in",
 * Courier "a1 OK LOGIN Ok." A tagged line only (an untagged OK greeting says nothing of a login).
 */
const LOGGED_IN = /^[A-Za-z0-9.]+ OK [^\r\n]*(logged in|LOGIN Ok)/im;

/**
 * A TCP relay to an IMAP server that counts logged-in sessions at once (not connections: one the
 * server refused never logged in), with `delayMs` each way so that a job's steps take long enough
 * to be measured. Every chunk is delayed by the same amount, so the order is kept.
 */
export async function startLoginRelay(targetPort: number, delayMs: number): Promise<LoginRelay> {
  const sockets = new Set<net.Socket>();
  let open = 0;
  const relay: LoginRelay = {
    port: 0,
    connections: 0,
    loggedIn: 0,
    peakLoggedIn: 0,
    stop: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  const later = (fn: () => void) => (delayMs > 0 ? setTimeout(fn, delayMs) : setImmediate(fn));
  const server = net.createServer((client) => {
    relay.connections++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let counted = false;
    let seen = '';
    // The server let the session go when its side closed: count it out then, not after the delay.
    const release = () => {
      if (counted) {
        counted = false;
        open--;
      }
    };
    const end = () => {
      release();
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    upstream.on('data', (d: Buffer) => {
      if (!counted) {
        // The LOGIN answer comes early and short: look at the first few kB only.
        if (seen.length < 16_384) seen += d.toString('latin1');
        if (LOGGED_IN.test(seen)) {
          counted = true;
          seen = '';
          relay.loggedIn++;
          open++;
          relay.peakLoggedIn = Math.max(relay.peakLoggedIn, open);
        }
      }
      later(() => client.writable && client.write(d));
    });
    client.on('data', (d: Buffer) => later(() => upstream.writable && upstream.write(d)));
    upstream.on('close', () => {
      release();
      later(end);
    });
    client.on('close', end);
    upstream.on('error', () => undefined);
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.port = (server.address() as net.AddressInfo).port;
  return relay;
}
