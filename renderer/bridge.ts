/**
 * The shape of `window.custos`, the only thing the preload (or, in a browser,
 * the dev host's bridge script) puts into the page.
 */
import type { Channel, EventName, EventPayload, Input, Output, Result } from '../main/api/contract.ts';

export interface CustosBridge {
  call<C extends Channel>(channel: C, input?: Input<C>): Promise<Result<Output<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

declare global {
  interface Window {
    custos?: CustosBridge;
  }
}
