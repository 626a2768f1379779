import net from 'node:net';

export interface RenameRelay {
  hostPort: string;
  /** Commands renamed so far. */
  renamed: number;
  /** What the clients sent and the server answered, all connections (latin1, first 1 MB each way). */
  transcript: string;
  stop(): Promise<void>;
}

/**
 * A control-connection relay to `targetPort` that renames the client's `from` commands to `to`
 * (e.g. `STAT` → `XSTA`, `SIZE` → `XSIZ`): every server answers the unknown word `500`, so the
 * client sees a server without that command (pure-ftpd cannot turn STAT or SIZE off). Lines are
 * renamed whole (a line split across chunks waits for its end); the server's bytes go through as
 * they come. Put it in front of a `startTcpProxy({ftp: true})` to cut data connections too (the
 * proxy's rewritten 229s pass through unchanged).
 */
export async function startRenameRelay(targetPort: number, renames: Record<string, string>): Promise<RenameRelay> {
  const sockets = new Set<net.Socket>();
  const relay: RenameRelay = {
    hostPort: '',
    renamed: 0,
    transcript: '',
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    let partial = '';
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', kill);
    upstream.on('error', kill);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (d: Buffer) => {
      partial += d.toString('latin1');
      if (relay.transcript.length < 2_000_000) relay.transcript += d.toString('latin1').replace(/^/gm, '> ');
      const nl = partial.lastIndexOf('\n');
      if (nl < 0) return;
      const lines = partial.slice(0, nl + 1).split(/(?<=\n)/);
      partial = partial.slice(nl + 1);
      const out = lines.map((line) => {
        const word = /^([A-Za-z]+)/.exec(line)?.[1]?.toUpperCase();
        const to = word ? renames[word] : undefined;
        if (!to) return line;
        relay.renamed++;
        return to + line.slice(word!.length);
      });
      upstream.write(Buffer.from(out.join(''), 'latin1'));
    });
    upstream.on('data', (d: Buffer) => {
      if (relay.transcript.length < 2_000_000) relay.transcript += d.toString('latin1').replace(/^/gm, '< ');
      client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  relay.hostPort = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return relay;
}
