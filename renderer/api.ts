/**
 * The typed client over `window.custos`. A call resolves with the channel's
 * output or throws an ApiError carrying the core's code, so screens can show
 * "PIN_INCORRECT: …" and act on the code.
 */
import type { Channel, EventName, EventPayload, Input, Output, Result } from '../main/api/contract.ts';
import type { CustosBridge } from './bridge.ts';

/** The renderer's side of a CustosError: the same { code, message, details }, a class of its own. */
export class ApiError extends Error {
  override readonly name = 'CustosError';
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(error: { code: string; message: string; details?: Record<string, unknown> }) {
    super(error.message);
    this.code = error.code;
    this.details = error.details ?? {};
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError || (typeof e === 'object' && e !== null && typeof (e as ApiError).code === 'string' && typeof (e as ApiError).message === 'string');
}

export interface ApiClient {
  call<C extends Channel>(channel: C, ...input: Input<C> extends void | undefined ? [] : [Input<C>]): Promise<Output<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export function createApiClient(bridge: CustosBridge): ApiClient {
  return {
    async call(channel, ...input) {
      let result: Result<unknown>;
      try {
        result = await bridge.call(channel, input[0] as never);
      } catch (e) {
        throw new ApiError({ code: 'INTERNAL', message: `The call ${channel} did not reach the core: ${e instanceof Error ? e.message : String(e)}` });
      }
      if (!result.ok) throw new ApiError(result.error);
      return result.value as never;
    },
    on: (event, listener) => bridge.on(event, listener),
  };
}

function missingBridge(): never {
  throw new ApiError({ code: 'INTERNAL', message: 'This page was opened outside Custos: there is no window.custos bridge.' });
}

/** The app's client; window.custos is put in place by the preload or the dev host before any module runs. */
export const api: ApiClient = createApiClient({
  call: (channel, input) => (window.custos ?? missingBridge()).call(channel, input),
  on: (event, listener) => (window.custos ?? missingBridge()).on(event, listener),
});
