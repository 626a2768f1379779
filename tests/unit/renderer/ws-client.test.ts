/**
 * The browser's WebSocket client of `fanout serve` when the connection drops: a call made while it
 * is down must end (answered once it is back, or refused in words), never wait for ever. Runs under
 * Node with the `ws` package standing in for the browser's WebSocket (same events, same readyState,
 * and send() on a closed socket is dropped silently, as in a browser).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createWsClient, type WsClient } from '../../../renderer/src/api/ws-client';

beforeAll(() => {
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
});

/** A server answering every call with its command's name; `drop()` closes every connection. */
async function echoServer(port = 0): Promise<{ port: number; drop(): void; stop(): Promise<void>; server: Server }> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id: number; cmd: string };
      ws.send(JSON.stringify({ t: 'reply', id: msg.id, reply: { ok: true, value: msg.cmd } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    drop: () => {
      for (const c of wss.clients) c.terminate();
    },
    stop: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolves with the call's outcome, or 'pending' if it has not ended within `ms`. */
function outcome(p: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([
    p.then((v) => ({ value: v }), (e: { code?: string; message?: string }) => ({ error: e.code, message: e.message })),
    new Promise((resolve) => setTimeout(() => resolve('pending'), ms)),
  ]);
}

const connected = (client: WsClient) => new Promise<void>((resolve) => {
  const off = client.onStatus((c) => {
    if (c) {
      off();
      resolve();
    }
  });
});
const disconnected = (client: WsClient) => new Promise<void>((resolve) => {
  const off = client.onStatus((c) => {
    if (!c) {
      off();
      resolve();
    }
  });
});

let clients: WsClient[] = [];
afterEach(() => {
  for (const c of clients) c.close();
  clients = [];
});

describe('ws-client when the connection drops', () => {
  it('answers a call made right after a drop once it has reconnected (it hung: sent on the closed socket)', async () => {
    const server = await echoServer();
    try {
      const client = createWsClient(`ws://127.0.0.1:${server.port}/`);
      clients.push(client);
      await expect(client.api.appInfo({})).resolves.toBe('app:info');
      const down = disconnected(client);
      server.drop();
      await down;
      // Before the client's reconnect timer: the old, closed socket must not take the call.
      expect(await outcome(client.api.activeJobs({}), 15_000)).toEqual({ value: 'job:active' });
    } finally {
      await server.stop();
    }
  });

  it('refuses a call in words when the server stays away, and works again once it is back', async () => {
    const server = await echoServer();
    const port = server.port;
    const client = createWsClient(`ws://127.0.0.1:${port}/`, { openTimeoutMs: 1500 });
    clients.push(client);
    await expect(client.api.appInfo({})).resolves.toBe('app:info');
    const down = disconnected(client);
    await server.stop();
    await down;
    const r = (await outcome(client.api.activeJobs({}), 15_000)) as { error?: string; message?: string };
    expect(r).not.toBe('pending');
    expect(r.error).toBe('CONNECTION_RESET');
    expect(r.message).toContain(`ws://127.0.0.1:${port}/`);
    // The server comes back on the same port: the client reconnects and calls work.
    const again = await echoServer(port);
    try {
      await Promise.race([connected(client), new Promise((resolve) => setTimeout(resolve, 15_000))]);
      expect(await outcome(client.api.appInfo({}), 15_000)).toEqual({ value: 'app:info' });
    } finally {
      await again.stop();
    }
  });
});
