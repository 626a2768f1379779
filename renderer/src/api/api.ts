import type { FanoutApi } from '../../../shared/ipc';
import { createWsClient } from './ws-client';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in the browser host. */
    fanout?: FanoutApi;
  }
}

let api: FanoutApi | null = null;
let connectionListeners: ((connected: boolean) => void)[] = [];

/** The one API the renderer uses: window.fanout in Electron, the WebSocket client in a browser. */
export function getApi(): FanoutApi {
  if (api) return api;
  if (window.fanout) {
    api = window.fanout;
  } else {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const client = createWsClient(`${proto}//${location.host}/ws`);
    client.onStatus((c) => connectionListeners.forEach((l) => l(c)));
    api = client.api;
  }
  return api;
}

export function onConnectionChange(cb: (connected: boolean) => void): () => void {
  connectionListeners.push(cb);
  return () => {
    connectionListeners = connectionListeners.filter((l) => l !== cb);
  };
}
