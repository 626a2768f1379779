import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Client } from 'undici';
import { guardSocket, guardedConnector } from '../../../electron/engine/mirror/http-connector';

describe('guardSocket', () => {
  it('an exception thrown by a listener of a socket event destroys that socket with it, instead of escaping', async () => {
    const server = net.createServer((s) => s.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const sock = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
      guardSocket(sock);
      const errors: Error[] = [];
      sock.on('error', (e) => errors.push(e));
      sock.on('data', () => {
        throw new Error('assert(!this.paused)');
      });
      await new Promise<void>((r) => sock.once('close', () => r()));
      expect(errors.map((e) => e.message)).toEqual(['assert(!this.paused)']);
      expect(sock.destroyed).toBe(true);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('undici through the guarded connector works as before', async () => {
    const server = net.createServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const client = new Client(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, { connect: guardedConnector({ timeout: 2000 }) });
    try {
      const res = await client.request({ path: '/', method: 'GET' });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('ok');
    } finally {
      await client.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
