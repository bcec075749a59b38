/**
 * Asks for the user PIN. On a token whose next wrong PIN blocks it, the
 * dialog says so and will not send until the person ticks that they understand;
 * only then does it send confirmFinalTry.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControlLabel from '@mui/material/FormControlLabel';
import TextField from '@mui/material/TextField';
import { useState, type FormEvent } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import type { ApiError } from '../../api.ts';

export interface PinDialogProps {
  token: Output<'token.list'>[number];
  open: boolean;
  busy: boolean;
  error: ApiError | undefined;
  onCancel: () => void;
  onSubmit: (pin: string, confirmFinalTry: boolean) => void;
}

export function PinDialog({ token, open, busy, error, onCancel, onSubmit }: PinDialogProps) {
  const [pin, setPin] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  const finalTry = token.pinState.finalTry;
  const canSend = pin.length >= 4 && !busy && (!finalTry || confirmed);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!canSend) return;
    onSubmit(pin, finalTry && confirmed);
    setPin('');
  };

  return (
    <Dialog open={open} onClose={onCancel} aria-labelledby="pin-dialog-title">
      <form onSubmit={submit}>
        <DialogTitle id="pin-dialog-title">Log in to {token.label}</DialogTitle>
        <DialogContent>
          {finalTry && (
            <Alert severity="error" sx={{ mb: 2 }}>
              This is the final try: one more wrong PIN blocks the token, and only the SO PIN can unblock it.
            </Alert>
          )}
          {!finalTry && token.pinState.countLow && (
            <Alert severity="warning" sx={{ mb: 2 }}>A wrong PIN has been entered before: few tries are left.</Alert>
          )}
          <TextField
            autoFocus
            fullWidth
            type="password"
            label="User PIN"
            autoComplete="off"
            value={pin}
            onChange={(e) => setPin(e.target.value)}
            slotProps={{ htmlInput: { minLength: 4, maxLength: 64, 'aria-describedby': 'pin-help' } }}
            helperText={<span id="pin-help">4 to 64 characters; it is sent to the token and kept nowhere.</span>}
          />
          {finalTry && (
            <FormControlLabel
              sx={{ mt: 1 }}
              control={<Checkbox checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} />}
              label="I understand that a wrong PIN now blocks this token"
            />
          )}
          <ErrorAlert error={error} />
        </DialogContent>
        <DialogActions>
          <Button onClick={onCancel}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={!canSend}>{busy ? 'Logging in…' : 'Log in'}</Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
