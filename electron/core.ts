/**
 * Opens the core for the window: its handlers for every channel of the
 * contract, the events it pushes, and how to close it.
 * The core's facade (main/api/handlers.ts) is not in the repository yet; until
 * it is, the app refuses to start rather than show a window that cannot work.
 */
import type { Handlers } from '../main/api/contract.ts';
import { CustosError } from '../main/errors/index.ts';
import type { EventSource } from './dispatch.ts';

export interface AppCore {
  handlers: Handlers;
  events?: EventSource;
  close(): Promise<void>;
}

export async function openAppCore(_options: { dataDir: string }): Promise<AppCore> {
  throw new CustosError('INTERNAL', 'This build has no core: main/api/handlers.ts is not wired into electron/core.ts yet.');
}
