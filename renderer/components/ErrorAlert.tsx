import Alert from '@mui/material/Alert';
import type { ApiError } from '../api.ts';
import { visibleText } from '../../main/api/visible-text.ts';

/** An error as the core gave it: its code, which a person can look up, and what to do. */
export function ErrorAlert({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <Alert severity="error" role="alert" sx={{ my: 1 }}>
      <strong>{error.code}</strong>: {visibleText(error.message)}
    </Alert>
  );
}
