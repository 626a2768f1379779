/**
 * The browser side of `fanout serve`: the same `FanoutApi` as the Electron preload, over one
 * WebSocket. Calls are matched to replies by id; the socket reconnects with backoff.
 */
import { API_METHODS, EVENT_METHODS, FanoutCommandError, unwrapReply, type ClientMessage, type CommandName, type EventName, type FanoutApi, type ServerMessage } from '../../../shared/ipc';

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

export interface WsClient {
  api: FanoutApi;
  /** Connection state, for the status bar. */
  onStatus(cb: (connected: boolean) => void): () => void;
  close(): void;
}

export interface WsClientOptions {
  /** How long a call waits for the connection to come back before it is refused (ms). */
  openTimeoutMs?: number;
}

/** How long a call made while the connection is down waits for it to come back. */
export const OPEN_TIMEOUT_MS = 10_000;

export function createWsClient(url: string, opts: WsClientOptions = {}): WsClient {
  const openTimeoutMs = opts.openTimeoutMs ?? OPEN_TIMEOUT_MS;
  let ws: WebSocket | null = null;
  let nextId = 1;
  let closed = false;
  let retryMs = 250;
  const pending = new Map<number, Pending>();
  /** Calls made while the connection is down, waiting for the next socket to open (bounded). */
  const waiting = new Set<{ resolve: (s: WebSocket) => void; reject: (e: unknown) => void; timer: ReturnType<typeof setTimeout> }>();
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  const statusListeners = new Set<(c: boolean) => void>();
  const lost = (why: string) => new FanoutCommandError('CONNECTION_RESET', `${why} (${url}); is \`fanout serve\` still running? The page reconnects by itself; try again.`, { host: new URL(url).host });

  const connect = (): void => {
    const sock = new WebSocket(url);
    ws = sock;
    sock.onopen = () => {
      retryMs = 250;
      for (const l of statusListeners) l(true);
      for (const w of waiting) {
        clearTimeout(w.timer);
        w.resolve(sock);
      }
      waiting.clear();
    };
    // A failed connect is followed by its close event, which schedules the next try.
    sock.onerror = () => {};
    sock.onmessage = (ev) => {
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as ServerMessage;
      } catch {
        return;
      }
      if (msg.t === 'reply') {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        try {
          p.resolve(unwrapReply(msg.reply));
        } catch (err) {
          p.reject(err);
        }
      } else if (msg.t === 'event') {
        for (const cb of listeners.get(msg.name) ?? []) cb(msg.payload);
      }
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      for (const l of statusListeners) l(false);
      for (const [, p] of pending) p.reject(lost('Lost the connection to the Fanout server'));
      pending.clear();
      if (closed) return;
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };

  connect();

  /**
   * The open socket, or the next one to open. A call never goes to a socket that is not open (a
   * browser drops what is sent on a closed socket without a word, and its reply never came), and
   * waits at most openTimeoutMs for the connection to come back.
   */
  const whenOpen = (): Promise<WebSocket> => {
    if (ws && ws.readyState === WebSocket.OPEN) return Promise.resolve(ws);
    if (closed) return Promise.reject(lost('The connection to the Fanout server is closed'));
    return new Promise((resolve, reject) => {
      const w = {
        resolve,
        reject,
        timer: setTimeout(() => {
          waiting.delete(w);
          reject(lost(`No connection to the Fanout server for ${Math.round(openTimeoutMs / 1000)} s`));
        }, openTimeoutMs),
      };
      waiting.add(w);
    });
  };

  const call = async (cmd: CommandName, arg: unknown): Promise<unknown> => {
    const sock = await whenOpen();
    if (sock.readyState !== WebSocket.OPEN) throw lost('Lost the connection to the Fanout server');
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      sock.send(JSON.stringify({ t: 'call', id, cmd, arg } satisfies ClientMessage));
    });
  };

  const api = {} as Record<string, unknown>;
  for (const [method, cmd] of Object.entries(API_METHODS)) api[method] = (arg: unknown) => call(cmd, arg ?? {});
  for (const [method, name] of Object.entries(EVENT_METHODS)) {
    api[method] = (cb: (p: unknown) => void) => {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      set.add(cb);
      return () => set.delete(cb);
    };
  }

  return {
    api: api as FanoutApi,
    onStatus(cb) {
      statusListeners.add(cb);
      return () => statusListeners.delete(cb);
    },
    close() {
      closed = true;
      for (const w of waiting) {
        clearTimeout(w.timer);
        w.reject(lost('The connection to the Fanout server is closed'));
      }
      waiting.clear();
      ws?.close();
    },
  };
}
