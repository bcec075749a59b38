/**
 * An error as the core gave it: its code, which a person can look up, what to
 * do, what it concerns (the token or the file named in its details) and, where
 * there is one, the action that resolves it: a Log in button on NOT_LOGGED_IN.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import type { ApiError } from '../api.ts';
import { visibleText } from '../../main/api/visible-text.ts';

/** Codes a person resolves on the Tokens screen, and what the button there says. */
const TOKEN_ACTIONS: Readonly<Record<string, string>> = {
  NOT_LOGGED_IN: 'Log in', PIN_REQUIRED: 'Log in', AUTH_STATE_LOST: 'Log in again', KEY_NOT_FOUND: 'Open Tokens',
  TOKEN_REMOVED: 'Open Tokens', TOKEN_NOT_FOUND: 'Open Tokens', PIN_BLOCKED: 'Open Tokens', DEVICE_NOT_ATTESTED: 'Open Tokens',
};

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? visibleText(v.slice(0, 300)) : typeof v === 'number' ? String(v) : undefined);

/** What the error is about, from its details: never a secret (the core puts none there), only names. */
export function concerns(details: Record<string, unknown>): string[] {
  const out: string[] = [];
  const token = text(details.tokenLabel) ?? text(details.tokenId) ?? text(details.tokenSerial);
  if (token) out.push(`token ${token}`);
  const file = text(details.fileName) ?? text(details.path) ?? text(details.file);
  if (file) out.push(`file ${file}`);
  const index = text(details.index);
  if (index !== undefined && /^\d+$/.test(index)) out.push(`request #${Number(index) + 1} in the file`);
  return out;
}

export function ErrorAlert({ error, onAction }: { error: ApiError | undefined; onAction?: (code: string) => void }) {
  if (!error) return null;
  const about = concerns(error.details);
  // A stopped batch offers what the request that stopped it needs (a Log in when the key's token was logged out).
  const action = TOKEN_ACTIONS[error.code] ?? (typeof error.details.stoppedBy === 'string' ? TOKEN_ACTIONS[error.details.stoppedBy] : undefined);
  return (
    <Alert severity="error" role="alert" sx={{ my: 1 }} data-code={error.code}
      action={action ? <Button color="inherit" size="small" variant="outlined" href="#/tokens" onClick={() => onAction?.(error.code)}>{action}</Button> : undefined}>
      <strong>{error.code}</strong>: {visibleText(error.message)}
      {about.length > 0 && <div>Concerns {about.join(', ')}.</div>}
    </Alert>
  );
}
