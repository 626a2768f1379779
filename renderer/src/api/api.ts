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

/** What this module reads of the page's window. */
interface PageGlobals {
  fanout?: FanoutApi;
  location: { protocol: string; host: string };
  window?: PageGlobals;
}

/**
 * The page's window, read through globalThis (in a page `window.window` is the window itself) so
 * that the stores' unit tests, type-checked in the node project without the DOM library and given a
 * stand-in `window`, can import this module.
 */
function pageWindow(): PageGlobals {
  const g = globalThis as unknown as PageGlobals;
  return g.window ?? g;
}

/** The one API the renderer uses: window.fanout in Electron, the WebSocket client in a browser. */
export function getApi(): FanoutApi {
  if (api) return api;
  const page = pageWindow();
  if (page.fanout) {
    api = page.fanout;
  } else {
    const proto = page.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const client = createWsClient(`${proto}//${page.location.host}/ws`);
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
