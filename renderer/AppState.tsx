/**
 * What every screen needs to know: the app (rehearsal or not) and the tokens
 * (a virtual one also means rehearsal). Tokens reload when the core says so.
 */
import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import type { Output } from '../main/api/contract.ts';
import { api, type ApiError } from './api.ts';
import { useCall } from './hooks/useCall.ts';

export interface AppState {
  info: Output<'app.info'> | undefined;
  tokens: Output<'token.list'>;
  tokensError: ApiError | undefined;
  reloadTokens: () => void;
  reloadInfo: () => void;
  rehearsal: boolean;
}

const Ctx = createContext<AppState | undefined>(undefined);

export function AppStateProvider({ children }: { children: ReactNode }) {
  const info = useCall('app.info', undefined);
  const tokens = useCall('token.list', undefined);
  const reloadTokens = tokens.reload;
  useEffect(() => api.on('tokens.changed', reloadTokens), [reloadTokens]);
  const value = useMemo<AppState>(() => {
    const list = tokens.data ?? [];
    return {
      info: info.data,
      tokens: list,
      tokensError: tokens.error ?? info.error,
      reloadTokens,
      reloadInfo: info.reload,
      rehearsal: (info.data?.rehearsal ?? false) || list.some((t) => t.virtual),
    };
  }, [info.data, info.error, info.reload, tokens.data, tokens.error, reloadTokens]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAppState(): AppState {
  const state = useContext(Ctx);
  if (!state) throw new Error('useAppState outside AppStateProvider');
  return state;
}
