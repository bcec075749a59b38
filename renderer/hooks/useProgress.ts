/** The core's latest progress report for one piece of work while it runs (the core's one progress hub). */
import { useEffect, useState } from 'react';
import { flushSync } from 'react-dom';
import type { EventPayload } from '../../main/api/contract.ts';
import { api } from '../api.ts';

export type Progress = EventPayload<'progress'>;

/** operation: only that work's reports (the hub reports every long act); without it, any. */
export function useProgress(running: boolean, operation?: string): Progress | undefined {
  const [progress, setProgress] = useState<Progress>();
  useEffect(() => {
    if (!running) { setProgress(undefined); return; }
    // Each report is drawn as it comes: a burst of quick steps (a CRL's entries read, 2,000 at a time) would
    // otherwise be merged into one drawing of the step after them, and the count of the total never shown.
    return api.on('progress', (p) => { if (operation === undefined || p.operation === operation) flushSync(() => setProgress(p)); });
  }, [running, operation]);
  return progress;
}

/** Seconds since startedAtMs, ticking once a second while the work runs: for "about 60 s, 12 s so far". */
export function useElapsedSeconds(startedAtMs: number | undefined): number | undefined {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (startedAtMs === undefined) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [startedAtMs]);
  return startedAtMs === undefined ? undefined : Math.max(0, Math.round((now - startedAtMs) / 1000));
}
