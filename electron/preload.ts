/**
 * The sandboxed preload: exposes `window.custos` = { call, on } and nothing
 * else. Built as one CommonJS file (a sandboxed preload can require only
 * 'electron'). Channel names are checked by the main process, which knows the
 * contract; this file stays free of it so nothing but ipcRenderer is bundled.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { CustosBridge } from '../renderer/bridge.ts';

const CHANNEL_PREFIX = 'custos:';
const EVENT_CHANNEL = 'custos:event';

const bridge = {
  call: (channel: string, input?: unknown) => {
    if (typeof channel !== 'string') return Promise.reject(new TypeError('channel must be a string'));
    return ipcRenderer.invoke(CHANNEL_PREFIX + channel, input);
  },
  on: (event: string, listener: (payload: unknown) => void) => {
    const forward = (_e: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => { ipcRenderer.removeListener(EVENT_CHANNEL, forward); };
  },
} as unknown as CustosBridge;

contextBridge.exposeInMainWorld('custos', bridge);
