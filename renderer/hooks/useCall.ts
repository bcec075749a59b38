/** Data from one call of the core, reloaded when its input changes or on demand. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Channel, Input, Output } from '../../main/api/contract.ts';
import { api, ApiError, isApiError } from '../api.ts';

export interface CallState<T> { data: T | undefined; error: ApiError | undefined; loading: boolean; reload: () => void }

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (isApiError(e)) return new ApiError(e);
  return new ApiError({ code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) });
}

/** `input` null means "not yet": nothing is called until the screen has what the call needs. */
export function useCall<C extends Channel>(channel: C, input: Input<C> | null): CallState<Output<C>> {
  const [data, setData] = useState<Output<C>>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(false);
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(input);
  const latest = useRef(0);

  useEffect(() => {
    if (input === null) { setData(undefined); return; }
    const ticket = ++latest.current;
    setLoading(true);
    (api.call as (c: C, i: Input<C>) => Promise<Output<C>>)(channel, input)
      .then((value) => { if (ticket === latest.current) { setData(value); setError(undefined); } })
      .catch((e: unknown) => { if (ticket === latest.current) setError(toApiError(e)); })
      .finally(() => { if (ticket === latest.current) setLoading(false); });
    // The input is compared by its JSON (key), not by identity: a new object each render must not call again.
  }, [channel, key, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}
