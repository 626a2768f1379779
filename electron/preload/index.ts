/**
 * The one bridge: `window.fanout`, a narrow named API built from the contract. Each method is
 * bound to a single fixed channel (no generic invoke), events are delivered without the Electron
 * event object, and replies are unwrapped so errors keep their stable code.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_METHODS, EVENT_METHODS, unwrapReply, type FanoutApi, type Reply } from '../../shared/ipc';

const api: Record<string, unknown> = {};
for (const [method, channel] of Object.entries(API_METHODS)) {
  api[method] = async (req: unknown) => unwrapReply((await ipcRenderer.invoke(channel, req ?? {})) as Reply<unknown>);
}
for (const [method, channel] of Object.entries(EVENT_METHODS)) {
  api[method] = (cb: (payload: unknown) => void) => {
    const listener = (_e: IpcRendererEvent, payload: unknown) => cb(payload);
    ipcRenderer.on(channel, listener);
    return () => {
      ipcRenderer.removeListener(channel, listener);
    };
  };
}

contextBridge.exposeInMainWorld('fanout', api as FanoutApi);
