import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import { useProgress } from '../hooks/useProgress.ts';

/** Shown while long work runs: determinate when the core reports progress. */
export function WorkProgress({ running, label }: { running: boolean; label: string }) {
  const progress = useProgress(running);
  if (!running) return null;
  const value = progress && progress.total > 0 ? (100 * progress.done) / progress.total : undefined;
  return (
    <Box sx={{ my: 1 }} role="status" aria-live="polite">
      <Typography variant="body2">{progress?.label ?? label}…</Typography>
      <LinearProgress aria-label={label} variant={value === undefined ? 'indeterminate' : 'determinate'} {...(value === undefined ? {} : { value })} />
    </Box>
  );
}
