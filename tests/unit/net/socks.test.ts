import { createServer, Socket, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSocks5Url, socksConnect, SocksProxyError } from '../../../electron/engine/net/socks';
import { startCoalescingSocks } from '../../harness/coalescing-socks';

/**
 * A scripted SOCKS5 peer on loopback (Dante covers the real proxy in tests/integration/net): it
 * answers the handshake, then writes `greeting` in the same write as its CONNECT reply.
 */
async function scriptedProxy(opts: { auth?: { user: string; password: string }; reply?: number; greeting?: string }): Promise<{ port: number; requests: Buffer[]; server: Server }> {
  const requests: Buffer[] = [];
  const server = createServer((c: Socket) => {
    let buf = Buffer.alloc(0);
    let step = 0;
    c.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (step === 0 && buf.length >= 2 + buf[1]!) {
        const methods = [...buf.subarray(2, 2 + buf[1]!)];
        buf = buf.subarray(2 + buf[1]!);
        const method = opts.auth ? (methods.includes(2) ? 2 : 0xff) : 0;
        c.write(Buffer.from([5, method]));
        step = opts.auth ? 1 : 2;
      }
      if (step === 1 && buf.length >= 2 && buf.length >= 3 + buf[1]! && buf.length >= 3 + buf[1]! + buf[2 + buf[1]!]!) {
        const user = buf.subarray(2, 2 + buf[1]!).toString();
        const password = buf.subarray(3 + buf[1]!, 3 + buf[1]! + buf[2 + buf[1]!]!).toString();
        buf = buf.subarray(3 + buf[1]! + buf[2 + buf[1]!]!);
        c.write(Buffer.from([1, user === opts.auth!.user && password === opts.auth!.password ? 0 : 1]));
        step = 2;
      }
      if (step === 2 && buf.length >= 7) {
        requests.push(Buffer.from(buf));
        step = 3;
        const reply = Buffer.from([5, opts.reply ?? 0, 0, 1, 127, 0, 0, 1, 0x30, 0x39]);
        c.write(Buffer.concat([reply, Buffer.from(opts.greeting ?? '')]));
      }
    });
    c.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, requests, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('socksConnect', () => {
  it('sends the destination by name, hands over the bytes behind the reply unread, and counts only what follows the handshake', async () => {
    const p = await scriptedProxy({ greeting: '220 hello\r\n' });
    servers.push(p.server);
    const sock = await socksConnect({ version: 5, host: '127.0.0.1', port: p.port }, { host: 'mirror.example', port: 21 }, 2000);
    try {
      expect([...p.requests[0]!]).toEqual([5, 1, 0, 3, 14, ...Buffer.from('mirror.example'), 0, 21]);
      sock.setEncoding('latin1');
      const first = new Promise<string>((r) => sock.once('data', r));
      sock.resume(); // handed over paused: the caller reads when it is ready (basic-ftp, a pipe)
      expect(await first).toBe('220 hello\r\n');
      expect(sock.bytesRead).toBe('220 hello\r\n'.length);
      expect(sock.bytesWritten).toBe(0);
      // The handshake's timeout handler is gone: an idle timer set later (a paused data connection's
      // stall rule re-arms its own) must not destroy the tunnel.
      expect(sock.listenerCount('timeout')).toBe(0);
      await new Promise<void>((r) => {
        sock.setTimeout(20, () => r());
      });
      expect(sock.destroyed).toBe(false);
    } finally {
      sock.destroy();
    }
  });

  it('logs in with a user and password; a refusal and a failed CONNECT name the proxy', async () => {
    const p = await scriptedProxy({ auth: { user: 'u', password: 'p w' } });
    servers.push(p.server);
    const proxy = parseSocks5Url(`socks5://u:p%20w@127.0.0.1:${p.port}`);
    expect(proxy).toEqual({ version: 5, host: '127.0.0.1', port: p.port, user: 'u', password: 'p w' });
    (await socksConnect(proxy, { host: '10.0.0.1', port: 2121 }, 2000)).destroy();
    expect([...p.requests[0]!]).toEqual([5, 1, 0, 1, 10, 0, 0, 1, 0x08, 0x49]);
    await expect(socksConnect({ ...proxy, password: 'bad' }, { host: 'h', port: 21 }, 2000)).rejects.toThrow(`SOCKS5 proxy 127.0.0.1:${p.port}: refused the user name and password`);
    await expect(socksConnect({ version: 5, host: '127.0.0.1', port: p.port }, { host: 'h', port: 21 }, 2000)).rejects.toThrow(/takes no connection without a user name and password; give socks5:\/\/user:password@host:port/);

    const refusing = await scriptedProxy({ reply: 5 });
    servers.push(refusing.server);
    await expect(socksConnect({ version: 5, host: '127.0.0.1', port: refusing.port }, { host: 'h', port: 21 }, 2000)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      message: `SOCKS5 proxy 127.0.0.1:${refusing.port}: cannot reach h:21: connection refused`,
    });
  });
});

describe('socksConnect, SOCKS4', () => {
  it('v4 sends the address (a name resolved here), v4a the name; the greeting behind the reply is handed over unread', async () => {
    const dest = createServer((c) => c.end('* OK hello\r\n'));
    servers.push(dest);
    await new Promise<void>((r) => dest.listen(0, '127.0.0.1', r));
    const port = (dest.address() as { port: number }).port;
    const relay = await startCoalescingSocks();
    try {
      for (const [proxyResolves, host, seen] of [[false, 'localhost', '127.0.0.1'], [true, 'localhost', 'localhost'], [false, '127.0.0.1', '127.0.0.1']] as const) {
        const sock = await socksConnect({ version: 4, host: '127.0.0.1', port: relay.port, proxyResolves }, { host, port }, 2000);
        const first = new Promise<string>((r) => sock.once('data', (d: Buffer) => r(d.toString())));
        sock.resume();
        expect(await first).toBe('* OK hello\r\n');
        sock.destroy();
        expect(relay.requests.at(-1)).toEqual({ version: 4, host: seen, port });
      }
      expect(relay.coalesced()).toBe(3);
    } finally {
      await relay.stop();
    }
  });

  it('a refused CONNECT names the proxy, and the socket handed in is destroyed with that error', async () => {
    const relay = await startCoalescingSocks();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    try {
      const socket = new Socket();
      const emitted = new Promise<Error>((r) => socket.once('error', r));
      const err = await socksConnect({ version: 4, host: '127.0.0.1', port: relay.port }, { host: '127.0.0.1', port: deadPort }, 2000, socket).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SocksProxyError);
      expect(err).toMatchObject({ code: 'ECONNREFUSED', message: `SOCKS4 proxy 127.0.0.1:${relay.port}: cannot reach 127.0.0.1:${deadPort}: request rejected or failed` });
      expect(await emitted).toBe(err);
    } finally {
      await relay.stop();
    }
  });
});
