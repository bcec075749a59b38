/** The core's latest progress report while a piece of work runs. */
import { useEffect, useState } from 'react';
import type { EventPayload } from '../../main/api/contract.ts';
import { api } from '../api.ts';

export type Progress = EventPayload<'progress'>;

export function useProgress(running: boolean): Progress | undefined {
  const [progress, setProgress] = useState<Progress>();
  useEffect(() => {
    if (!running) { setProgress(undefined); return; }
    return api.on('progress', setProgress);
  }, [running]);
  return progress;
}
