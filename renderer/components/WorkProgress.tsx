/**
 * The one progress component every long act shows while it runs: what the
 * core is doing, a determinate bar where the core counts (entries of a CRL,
 * certificates of a batch, steps of a key generation, rounds of a share
 * file's key derivation), the expected time where the core can tell, and
 * Cancel where stopping is safe; where it is not, the reason instead.
 */
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect } from 'react';
import type { z } from 'zod';
import type { WorkOperation } from '../../main/api/contract.ts';
import { api } from '../api.ts';
import { useAction } from '../hooks/useAction.ts';
import { useElapsedSeconds, useProgress } from '../hooks/useProgress.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

type Operation = z.output<typeof WorkOperation>;

/** Up to this many, a total is of steps (each shown moving while under way), not of items counted. */
const MAX_STEPS_SHOWN = 10;

function seconds(s: number): string {
  return s < 90 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/**
 * running: the work this screen started is under way. operation: the core's
 * name for it, when it reports into the hub (its reports only, and Cancel).
 */
export function WorkProgress({ running, label, operation }: { running: boolean; label: string; operation?: Operation }) {
  const progress = useProgress(running, operation);
  const elapsed = useElapsedSeconds(running ? progress?.startedAtMs : undefined);
  const cancel = useAction(useCallback(async (op: Operation) => api.call('work.cancel', { operation: op }), []));
  const { reset } = cancel;
  useEffect(() => { if (!running) reset(); }, [running, reset]);
  if (!running) return null;
  const value = progress && progress.total > 0 ? Math.min(100, (100 * progress.done) / progress.total) : undefined;
  // A few counted steps (a key generation's four): the step under way is shown moving, since a step
  // at the token may take a minute with nothing to count inside it.
  const stepBuffer = progress && progress.total > 0 && progress.total <= MAX_STEPS_SHOWN && progress.done < progress.total
    ? (100 * (progress.done + 1)) / progress.total : undefined;
  const estimate = progress?.estimatedMs !== undefined ? Math.round(progress.estimatedMs / 1000) : undefined;
  const stopping = cancel.running || cancel.result?.cancelling === true;
  return (
    <Box sx={{ my: 1 }} role="status" aria-live="polite" aria-label={`Progress: ${label}`}>
      <Typography variant="body2">
        {progress?.label ?? label}…
        {progress && progress.total > 0 && !progress.label.includes(`${progress.done} of ${progress.total}`) ? ` (${progress.done} of ${progress.total})` : ''}
      </Typography>
      <LinearProgress aria-label={label} sx={{ my: 0.5 }}
        {...(value === undefined ? { variant: 'indeterminate' as const } : stepBuffer !== undefined ? { variant: 'buffer' as const, value, valueBuffer: stepBuffer } : { variant: 'determinate' as const, value })} />
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
        {estimate !== undefined && elapsed !== undefined && (
          <Typography variant="caption">
            Usually about {seconds(estimate)}; {seconds(elapsed)} so far{elapsed > estimate ? ' (this one takes longer: it is still working)' : ''}.
          </Typography>
        )}
        {operation !== undefined && progress?.cancellable === true && (
          <Button size="small" variant="outlined" color="warning" disabled={stopping} onClick={() => void cancel.run(operation)}>
            {stopping ? 'Stopping at the next safe point…' : 'Cancel'}
          </Button>
        )}
        {progress?.notCancellable !== undefined && (
          <Typography variant="caption">Cannot be stopped now: {progress.notCancellable}</Typography>
        )}
      </Stack>
      <ErrorAlert error={cancel.error} />
    </Box>
  );
}
