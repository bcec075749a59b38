/**
 * A piece of work the person starts (log in, generate, sign, issue a CRL):
 * it cannot be started again while it runs, and its error keeps its code.
 */
import { useCallback, useRef, useState } from 'react';
import type { ApiError } from '../api.ts';
import { toApiError } from './useCall.ts';

export interface ActionState<A extends unknown[], T> {
  run: (...args: A) => Promise<T | undefined>;
  running: boolean;
  error: ApiError | undefined;
  result: T | undefined;
  reset: () => void;
}

export function useAction<A extends unknown[], T>(work: (...args: A) => Promise<T>): ActionState<A, T> {
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [result, setResult] = useState<T>();
  // A ref, not state: a second click in the same frame must see the first.
  const busy = useRef(false);

  const run = useCallback(async (...args: A) => {
    if (busy.current) return undefined;
    busy.current = true;
    setRunning(true);
    setError(undefined);
    try {
      const value = await work(...args);
      setResult(value);
      return value;
    } catch (e) {
      setError(toApiError(e));
      return undefined;
    } finally {
      busy.current = false;
      setRunning(false);
    }
  }, [work]);

  const reset = useCallback(() => { setError(undefined); setResult(undefined); }, []);
  return { run, running, error, result, reset };
}
