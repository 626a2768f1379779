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

export function createWsClient(url: string): WsClient {
  let ws: WebSocket | null = null;
  let nextId = 1;
  let closed = false;
  let retryMs = 250;
  let open: Promise<WebSocket>;
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  const statusListeners = new Set<(c: boolean) => void>();

  const connect = (): Promise<WebSocket> =>
    new Promise((resolve) => {
      const sock = new WebSocket(url);
      ws = sock;
      sock.onopen = () => {
        retryMs = 250;
        for (const l of statusListeners) l(true);
        resolve(sock);
      };
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
        for (const l of statusListeners) l(false);
        for (const [, p] of pending) p.reject(new FanoutCommandError('CONNECTION_RESET', 'Lost the connection to the Fanout server'));
        pending.clear();
        if (closed) return;
        setTimeout(() => {
          open = connect();
        }, retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
      };
    });

  open = connect();

  const call = async (cmd: CommandName, arg: unknown): Promise<unknown> => {
    const sock = ws && ws.readyState === WebSocket.OPEN ? ws : await open;
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
      ws?.close();
    },
  };
}
