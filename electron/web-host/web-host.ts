/**
 * `fanout serve`: the built renderer and the IPC contract for a browser, on 127.0.0.1 only.
 *
 * Access control, like a notebook server: a random token in the printed URL. The first page load
 * (`/?token=…`) sets an HttpOnly, SameSite=Strict cookie; every other request (assets, the
 * WebSocket) needs that cookie or the token. The Host header must name the loopback address
 * (DNS rebinding) and the WebSocket Origin must be this server (cross-site WebSocket hijacking).
 * Every WebSocket message is validated (shape, then the command's own schema) before it runs.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerMessage } from '../../shared/ipc';
import { ClientMessageSchema } from '../../shared/ipc-schemas';
import type { FanoutHost } from '../engine/jobs/fanout-host';
import { buildCsp } from '../main/security';
import { readStatic } from './static-files';

export interface WebHostOptions {
  host: FanoutHost;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests); random otherwise. */
  token?: string;
  version?: string;
  /** Bytes buffered on a socket past which telemetry frames are skipped for it (slow client). */
  maxBufferedBytes?: number;
}

export interface WebHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const COOKIE = 'fanout_token';
const MAX_MESSAGE_BYTES = 1024 * 1024;

/** The CSP the web host sends with every page: the app's, plus its own WebSocket. */
export function webHostCsp(port: number): string {
  return buildCsp([`ws://127.0.0.1:${port}`]);
}

function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage): string | null {
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return null;
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  const securityHeaders = (res: ServerResponse) => {
    res.setHeader('Content-Security-Policy', webHostCsp(port));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  };

  const server = createServer((req, res) => {
    void (async () => {
      securityHeaders(res);
      if (!allowedHosts().has(req.headers.host ?? '')) {
        res.writeHead(421).end('Misdirected request');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      // Browsers ask for it on every load, token or not; "no icon" keeps their console free of a 404.
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204, { 'Cache-Control': 'private, max-age=86400' }).end();
        return;
      }
      const queryToken = url.searchParams.get('token');
      const authorised = tokenMatches(queryToken, token) || tokenMatches(cookieToken(req), token);
      if (!authorised) {
        res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Fanout: open the URL printed by `fanout serve` (it carries the access token).');
        return;
      }
      if (tokenMatches(queryToken, token)) {
        res.setHeader('Set-Cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      }
      const file = await readStatic(opts.rendererDir, url.pathname);
      if (!file) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found');
        return;
      }
      res.writeHead(200, {
        'Content-Type': file.type,
        'Content-Length': file.body.length,
        'Cache-Control': url.pathname.startsWith('/assets/') ? 'private, max-age=3600' : 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : file.body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const originOk = req.headers.origin === `http://127.0.0.1:${port}` || req.headers.origin === `http://localhost:${port}`;
    const authorised = tokenMatches(url.searchParams.get('token'), token) || tokenMatches(cookieToken(req), token);
    if (url.pathname !== '/ws' || !allowedHosts().has(req.headers.host ?? '') || !originOk || !authorised) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const send = (ws: WebSocket, msg: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };

  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    send(ws, { t: 'hello', version: opts.version ?? '0' });
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let parsed: unknown;
        try {
          parsed = isBinary ? undefined : JSON.parse(String(data));
        } catch {
          parsed = undefined;
        }
        const msg = ClientMessageSchema.safeParse(parsed);
        if (!msg.success) {
          const id = typeof (parsed as { id?: unknown })?.id === 'number' ? (parsed as { id: number }).id : -1;
          const issues = msg.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
          send(ws, { t: 'reply', id, reply: { ok: false, error: { code: 'BAD_INPUT', message: `Malformed message: ${issues}`, retryable: false, context: {} } } });
          return;
        }
        const reply = await opts.host.handle(msg.data.cmd, msg.data.arg);
        send(ws, { t: 'reply', id: msg.data.id, reply });
      })();
    });
  });

  const unsubscribe = opts.host.onEvent((name, payload) => {
    const isFrame = name === 'job:event' && (payload as { kind: string }).kind === 'job:frame';
    const text = JSON.stringify({ t: 'event', name, payload } satisfies ServerMessage);
    for (const ws of clients) {
      // A slow client skips frames (counters are cumulative, so it catches up on the next one).
      if (isFrame && ws.bufferedAmount > maxBuffered) continue;
      if (ws.readyState === ws.OPEN) ws.send(text);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
