import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { RevocationReason } from '../../../main/api/contract.ts';
import { api } from '../../api.ts';
import { reasonInWords } from '../../../main/api/reason-words.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useCatalog } from '../../db/CatalogProvider.tsx';
import { useCertificatesOf } from '../../db/hooks.ts';
import { useAction } from '../../hooks/useAction.ts';

type Reason = z.output<typeof RevocationReason>;
const REASONS: readonly Reason[] = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn', 'aACompromise'];

export function RevokeForm({ caId }: { caId: string }) {
  const { sync } = useCatalog();
  // Subordinate CA certificates too; only the CA's own certificate is not the CA's to revoke.
  const valid = useCertificatesOf(caId).filter((c) => c.status === 'valid' && c.sha256 !== caId);
  const [serialHex, setSerial] = useState('');
  const [reason, setReason] = useState<Reason>('unspecified');
  const [invalidity, setInvalidity] = useState('');
  const revoke = useAction(useCallback(async (input: { serialHex: string; reason: Reason; invalidityDate?: string }) => {
    const cert = await api.call('certificate.revoke', { caId, ...input });
    await sync();
    return cert;
  }, [caId, sync]));
  const [confirming, setConfirming] = useState(false);
  const chosen = valid.find((c) => c.serialHex === serialHex);
  // Revocation cannot be undone: the form shows what will be revoked and asks before it is recorded.
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (serialHex) setConfirming(true);
  };
  const confirm = () => {
    setConfirming(false);
    void revoke.run({ serialHex, reason, ...(invalidity ? { invalidityDate: new Date(invalidity).toISOString() } : {}) }).then((r) => { if (r) setSerial(''); });
  };
  return (
    <form onSubmit={submit} aria-label="Revoke a certificate">
      <Stack spacing={2} sx={{ maxWidth: 640 }}>
        <TextField select size="small" label="Certificate" value={serialHex} onChange={(e) => setSerial(e.target.value)} required>
          {valid.map((c) => <MenuItem key={c.serialHex} value={c.serialHex}>{c.isCa ? 'CA: ' : ''}{c.subject} — {c.serialHex}</MenuItem>)}
        </TextField>
        {valid.length === 0 && <Typography variant="body2">No valid certificate under this CA.</Typography>}
        <TextField select size="small" label="Reason" value={reason} onChange={(e) => setReason(e.target.value as Reason)}>
          {REASONS.map((r) => <MenuItem key={r} value={r}>{reasonInWords(r)}</MenuItem>)}
        </TextField>
        <TextField size="small" type="datetime-local" label="Invalidity date (optional)" value={invalidity} onChange={(e) => setInvalidity(e.target.value)} slotProps={{ inputLabel: { shrink: true } }} helperText="When the key is known or suspected to have been compromised" />
        <Button type="submit" variant="contained" color="error" disabled={!serialHex || revoke.running}>{revoke.running ? 'Revoking…' : 'Revoke…'}</Button>
      </Stack>
      <Dialog open={confirming && chosen !== undefined} onClose={() => setConfirming(false)} aria-labelledby="revoke-confirm-title">
        <DialogTitle id="revoke-confirm-title">Revoke this {chosen?.isCa ? 'CA certificate' : 'certificate'}?</DialogTitle>
        <DialogContent>
          <DialogContentText component="div">
            <div>Subject: {chosen ? visibleText(chosen.subject) : ''}</div>
            <div>Serial: {chosen?.serialHex}</div>
            <div>Reason: {reasonInWords(reason)}</div>
            {invalidity && <div>Key last trusted: {new Date(invalidity).toISOString()}</div>}
            <div>{chosen?.isCa ? 'Every certificate this CA issued stops being trusted with it. ' : ''}A revocation cannot be undone; the next CRL publishes it.</div>
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirming(false)}>Cancel</Button>
          <Button variant="contained" color="error" onClick={confirm}>Revoke</Button>
        </DialogActions>
      </Dialog>
      <ErrorAlert error={revoke.error} />
      {revoke.result && <Typography role="status" sx={{ mt: 1 }}>Revoked {revoke.result.serialHex} ({reasonInWords(revoke.result.reason ?? 'unspecified')}). Issue a CRL to publish it.</Typography>}
    </form>
  );
}
