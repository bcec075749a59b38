/**
 * Keeps the catalog in step with the core: syncs on start, whenever the core
 * reports a new journal entry, and when a screen asks after its own work.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, type ApiError } from '../api.ts';
import { toApiError } from '../hooks/useCall.ts';
import { useAppState } from '../AppState.tsx';
import { Catalog } from './catalog.ts';
import { rebuildCatalog, syncCatalog } from './sync.ts';

export interface CatalogState {
  db: Catalog;
  sync: () => Promise<void>;
  rebuild: () => Promise<void>;
  syncing: boolean;
  error: ApiError | undefined;
}

const CatalogContext = createContext<CatalogState | undefined>(undefined);

/**
 * One catalog per data directory: a rehearsal started from the window has a
 * journal of its own, and its projection must never mix with the real one's.
 */
export function catalogName(dataDir: string | undefined): string {
  return dataDir === undefined ? 'custos-catalog' : `custos-catalog:${dataDir}`;
}

export function CatalogProvider({ children, db }: { children: ReactNode; db?: Catalog }) {
  const { info } = useAppState();
  const name = catalogName(info?.dataDir);
  const catalog = useMemo(() => db ?? new Catalog(name), [db, name]);
  const [syncing, setSyncing] = useState(false);
  const [error, setError] = useState<ApiError>();
  // One sync at a time; a request during one runs once more after it.
  const running = useRef<Promise<void> | undefined>(undefined);
  const again = useRef(false);

  const runExclusive = useCallback(async (work: () => Promise<unknown>) => {
    if (running.current) { again.current = true; return running.current; }
    setSyncing(true);
    const p = (async () => {
      try {
        do { again.current = false; await work(); } while (again.current);
        setError(undefined);
      } catch (e) {
        setError(toApiError(e));
      } finally {
        running.current = undefined;
        setSyncing(false);
      }
    })();
    running.current = p;
    return p;
  }, []);

  const sync = useCallback(() => runExclusive(() => syncCatalog(catalog, api)), [catalog, runExclusive]);
  const rebuild = useCallback(async () => {
    if (running.current) await running.current;
    await runExclusive(() => rebuildCatalog(catalog, api));
  }, [catalog, runExclusive]);

  // Not before the core has said which data directory it serves: that names the catalog.
  const ready = db !== undefined || info !== undefined;
  useEffect(() => {
    if (!ready) return undefined;
    void sync();
    return api.on('journal.appended', () => { void sync(); });
  }, [sync, ready]);

  const value = useMemo(() => ({ db: catalog, sync, rebuild, syncing, error }), [catalog, sync, rebuild, syncing, error]);
  return <CatalogContext.Provider value={value}>{children}</CatalogContext.Provider>;
}

export function useCatalog(): CatalogState {
  const state = useContext(CatalogContext);
  if (!state) throw new Error('useCatalog outside CatalogProvider');
  return state;
}
