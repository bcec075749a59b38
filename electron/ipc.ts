/**
 * Binds every channel of the contract to ipcMain, generically: nothing here
 * knows one call from another. A sender whose frame is not the app's own page
 * is refused before its input is looked at.
 */
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import type { Handlers } from '../main/api/contract.ts';
import { CHANNEL_PREFIX, CHANNELS, EVENT_CHANNEL, dispatch, type EventSource } from './dispatch.ts';

/** The part of ipcMain used here, so a test can hand in a recorder. */
export interface IpcHandleRegistry {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export class UntrustedSenderError extends Error {
  override readonly name = 'UntrustedSenderError';
}

export function bindApi(ipcMain: IpcHandleRegistry, handlers: Handlers, isAppUrl: (url: string) => boolean): () => void {
  for (const channel of CHANNELS) {
    ipcMain.handle(CHANNEL_PREFIX + channel, async (event, input) => {
      const url = event.senderFrame?.url ?? '';
      // Rejected, not answered: a foreign frame learns nothing, not even an error code.
      if (!isAppUrl(url)) throw new UntrustedSenderError('Refused a call from a frame that is not the app.');
      return dispatch(handlers, channel, input);
    });
  }
  return () => { for (const channel of CHANNELS) ipcMain.removeHandler(CHANNEL_PREFIX + channel); };
}

/** Forwards the core's events to the window; returns the unsubscribe function. */
export function forwardEvents(source: EventSource, target: Pick<WebContents, 'send' | 'isDestroyed'>): () => void {
  return source.subscribe((name, payload) => {
    if (!target.isDestroyed()) target.send(EVENT_CHANNEL, name, payload);
  });
}
