import net from 'node:net';

/**
 * A SOCKS relay (v5 without authentication, and v4/v4a) on loopback that makes deterministic what a
 * real proxy (Dante) does only sometimes under load: it connects to the destination, waits for
 * the destination's first bytes (an IMAP or FTP greeting), and writes its CONNECT reply and those
 * bytes in ONE write, so they reach the client in one packet. Then it relays both ways. For a
 * destination that says nothing first (implicit TLS: the client speaks first) give `quietMs`: it
 * then replies alone after that long without bytes (0: at once). The relay is plain TCP: the
 * servers on both ends are real.
 */
export interface CoalescingSocks {
  port: number;
  /** CONNECT requests seen: the SOCKS version and the destination as the client named it. */
  requests: Array<{ version: 4 | 5; host: string; port: number }>;
  /** How many replies went out in the same write as the destination's first bytes. */
  coalesced(): number;
  /** Client connections still open (a client that closed its sessions leaves none). */
  openClients(): number;
  stop(): Promise<void>;
}

export async function startCoalescingSocks(opts: { quietMs?: number } = {}): Promise<CoalescingSocks> {
  const quietMs = opts.quietMs;
  const requests: CoalescingSocks['requests'] = [];
  const sockets = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  let coalesced = 0;
  const server = net.createServer((client) => {
    sockets.add(client);
    clients.add(client);
    client.on('close', () => {
      sockets.delete(client);
      clients.delete(client);
    });
    client.on('error', () => {});
    let buf = Buffer.alloc(0);
    let greeted = false;
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf[0] === 5 && !greeted) {
        if (buf.length < 2 || buf.length < 2 + buf[1]!) return;
        buf = buf.subarray(2 + buf[1]!);
        greeted = true;
        client.write(Buffer.from([5, 0]));
      }
      const req = parseRequest(buf, greeted);
      if (!req) return;
      client.removeListener('data', onData);
      client.pause();
      requests.push({ version: req.version, host: req.host, port: req.port });
      relay(client, req, buf.subarray(req.length));
    };
    client.on('data', onData);
  });

  function relay(client: net.Socket, req: { version: 4 | 5; host: string; port: number }, rest: Buffer): void {
    const ok = req.version === 5 ? Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]) : Buffer.from([0, 90, 0, 0, 0, 0, 0, 0]);
    const refused = req.version === 5 ? Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]) : Buffer.from([0, 91, 0, 0, 0, 0, 0, 0]);
    const dest = net.connect({ host: req.host, port: req.port });
    sockets.add(dest);
    dest.on('close', () => {
      sockets.delete(dest);
      client.destroy();
    });
    client.on('close', () => dest.destroy());
    dest.on('error', () => {
      if (!replied) client.end(refused);
    });
    let replied = false;
    const reply = (first: Buffer) => {
      if (replied) return;
      replied = true;
      if (quiet) clearTimeout(quiet);
      if (first.length > 0) coalesced++;
      client.write(Buffer.concat([ok, first]));
      if (rest.length > 0) dest.write(rest);
      dest.on('data', (d: Buffer) => client.write(d));
      client.on('data', (d: Buffer) => dest.write(d));
      client.resume();
    };
    const quiet = quietMs === undefined ? null : setTimeout(() => reply(Buffer.alloc(0)), quietMs);
    dest.once('data', (first: Buffer) => reply(first));
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    coalesced: () => coalesced,
    openClients: () => clients.size,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A complete CONNECT request at the start of `buf` (v5 after the method exchange, or v4/v4a), or null. */
function parseRequest(buf: Buffer, v5: boolean): { version: 4 | 5; host: string; port: number; length: number } | null {
  if (v5) {
    if (buf.length < 5) return null;
    const atyp = buf[3]!;
    if (atyp === 1) {
      if (buf.length < 10) return null;
      return { version: 5, host: [...buf.subarray(4, 8)].join('.'), port: buf.readUInt16BE(8), length: 10 };
    }
    if (atyp === 3) {
      const n = buf[4]!;
      if (buf.length < 5 + n + 2) return null;
      return { version: 5, host: buf.subarray(5, 5 + n).toString(), port: buf.readUInt16BE(5 + n), length: 7 + n };
    }
    throw new Error(`address type ${atyp} not handled by the test relay`);
  }
  if (buf[0] !== 4 || buf.length < 9) return null;
  const userEnd = buf.indexOf(0, 8);
  if (userEnd < 0) return null;
  const ip = [...buf.subarray(4, 8)];
  const port = buf.readUInt16BE(2);
  // SOCKS4a: 0.0.0.x (x ≠ 0) says a host name follows the user id.
  if (ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0) {
    const nameEnd = buf.indexOf(0, userEnd + 1);
    if (nameEnd < 0) return null;
    return { version: 4, host: buf.subarray(userEnd + 1, nameEnd).toString(), port, length: nameEnd + 1 };
  }
  return { version: 4, host: ip.join('.'), port, length: userEnd + 1 };
}
