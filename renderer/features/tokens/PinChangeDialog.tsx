/**
 * Change the user PIN (with the current one) or unblock it (with the SO-PIN),
 * setting a new PIN typed twice. Before anything is sent the dialog shows the
 * tries left of the PIN it will check; on its last try it sends only once the
 * person ticks that they understand. For the SO-PIN it says, always, that a
 * blocked SO-PIN cannot be reset. The PIN state is read again after every
 * attempt, whatever its outcome, so what it shows is never a try behind.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControlLabel from '@mui/material/FormControlLabel';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { useCall } from '../../hooks/useCall.ts';

export type PinChangeMode = 'change' | 'unblock';

export interface PinChangeDialogProps {
  token: Output<'token.list'>[number];
  mode: PinChangeMode;
  open: boolean;
  onClose: () => void;
  /** After every attempt: the token list is read again, so the chips show the tries left now. */
  onAttempted: () => void;
}

function triesText(tries: number | undefined): string {
  return tries === undefined ? '' : `${tries} ${tries === 1 ? 'try' : 'tries'} left`;
}

/** What the token says of a PIN's tries: a number (SmartCard-HSM), or only that wrong entries were counted (PKCS#11). */
function countText(state: { triesLeft?: number; countLow: boolean } | undefined): string {
  if (state === undefined) return '';
  if (state.triesLeft !== undefined) return triesText(state.triesLeft);
  return state.countLow ? 'wrong entries counted since the last good one; a few more block it' : '';
}

export function PinChangeDialog({ token, mode, open, onClose, onAttempted }: PinChangeDialogProps) {
  const status = useCall('token.pinStatus', open ? { tokenId: token.id } : null);
  const [current, setCurrent] = useState('');
  const [newPin, setNewPin] = useState('');
  const [again, setAgain] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  const reloadStatus = status.reload;
  const send = useAction(useCallback(async (secret: string, next: string, confirmFinalTry: boolean) => {
    try {
      const t = mode === 'change'
        ? await api.call('token.changePin', { tokenId: token.id, pin: secret, newPin: next, ...(confirmFinalTry ? { confirmFinalTry: true } : {}) })
        : await api.call('token.unblockPin', { tokenId: token.id, soPin: secret, newPin: next, ...(confirmFinalTry ? { confirmFinalTry: true } : {}) });
      onClose();
      return t;
    } finally {
      onAttempted();
      reloadStatus();
    }
  }, [mode, token.id, onClose, onAttempted, reloadStatus]));
  const { reset } = send;
  useEffect(() => { if (open) { setCurrent(''); setNewPin(''); setAgain(''); setConfirmed(false); reset(); } }, [open, reset]);

  const checked = mode === 'change' ? (status.data?.token.pinState ?? token.pinState) : status.data?.soPin;
  const finalTry = checked !== undefined && (checked.finalTry || checked.triesLeft === 1);
  const blocked = checked?.locked === true;
  const mismatch = again !== '' && again !== newPin;
  const canSend = current.length >= (mode === 'change' ? 4 : 6) && newPin.length >= 4 && again === newPin && !blocked && (!finalTry || confirmed) && !send.running;
  const which = mode === 'change' ? 'PIN' : 'SO-PIN';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!canSend) return;
    void send.run(current, newPin, finalTry && confirmed);
    setCurrent('');
  };

  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="pin-change-title" fullWidth maxWidth="sm">
      <form onSubmit={submit} aria-label={mode === 'change' ? 'Change the PIN' : 'Unblock the PIN'}>
        <DialogTitle id="pin-change-title">{mode === 'change' ? `Change the PIN of ${token.label}` : `Unblock the PIN of ${token.label}`}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {mode === 'unblock' && (
              <Alert severity="warning">
                The SO-PIN has its own tries{countText(status.data?.soPin) ? ` (${countText(status.data?.soPin)})` : ''}.
                A blocked SO-PIN cannot be reset: the token could then only be initialized again, which erases every key on it.
              </Alert>
            )}
            {mode === 'change' && countText(checked) !== '' && !finalTry && !blocked && <Typography variant="body2" role="status">{which}: {countText(checked)}</Typography>}
            {blocked && <Alert severity="error">{mode === 'change' ? 'The PIN is blocked: unblock it with the SO-PIN instead.' : 'The SO-PIN is blocked and cannot be reset.'}</Alert>}
            {finalTry && !blocked && <Alert severity="error">This is the final {which} try: one more wrong {which} blocks it{mode === 'unblock' ? ' for good' : ''}.</Alert>}
            <TextField type="password" autoFocus autoComplete="off" label={mode === 'change' ? 'Current PIN' : 'SO-PIN'} value={current} onChange={(e) => setCurrent(e.target.value)}
              helperText={mode === 'unblock' ? (token.backend === 'pkcs11' ? 'The Security Officer PIN set when the token was initialized' : 'SmartCard-HSM: 16 hexadecimal digits') : 'Sent to the token and kept nowhere'} slotProps={{ htmlInput: { maxLength: 64 } }} />
            <TextField type="password" autoComplete="off" label="New PIN" value={newPin} onChange={(e) => setNewPin(e.target.value)} helperText={token.backend === 'pkcs11' ? 'Within the token\'s PIN length limits' : 'SmartCard-HSM: 6 to 15 characters'} slotProps={{ htmlInput: { maxLength: 64 } }} />
            <TextField type="password" autoComplete="off" label="New PIN again" value={again} onChange={(e) => setAgain(e.target.value)} error={mismatch} helperText={mismatch ? 'The two new PINs differ' : ' '} slotProps={{ htmlInput: { maxLength: 64 } }} />
            {finalTry && !blocked && (
              <FormControlLabel control={<Checkbox checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} />} label={`I understand that a wrong ${which} now blocks it`} />
            )}
            <ErrorAlert error={send.error ?? status.error} />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={!canSend}>{send.running ? 'Sending…' : mode === 'change' ? 'Change PIN' : 'Unblock and set PIN'}</Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
