import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Stack from '@mui/material/Stack';
import type { z } from 'zod';
import type { RequestReview } from '../../../main/api/contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';

/** What a custodian must stop at before signing: shown above the signature, each with its code. */
export function ReviewWarnings({ warnings }: { warnings: z.output<typeof RequestReview>['warnings'] }) {
  if (warnings.length === 0) return null;
  return (
    <Stack spacing={1} component="ul" aria-label="Warnings before signing" sx={{ listStyle: 'none', p: 0, m: 0, mb: 2 }}>
      {warnings.map((w, i) => (
        <li key={i}>
          <Alert severity="warning" variant="outlined">
            <AlertTitle>{w.code}</AlertTitle>
            {visibleText(w.message)}
          </Alert>
        </li>
      ))}
    </Stack>
  );
}
