import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { RevocationReason } from '../../../main/api/contract.ts';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useCatalog } from '../../db/CatalogProvider.tsx';
import { useCertificatesOf } from '../../db/hooks.ts';
import { useAction } from '../../hooks/useAction.ts';

type Reason = z.output<typeof RevocationReason>;
const REASONS: readonly Reason[] = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn', 'aACompromise'];

export function RevokeForm({ caId }: { caId: string }) {
  const { sync } = useCatalog();
  const valid = useCertificatesOf(caId).filter((c) => c.status === 'valid' && !c.isCa);
  const [serialHex, setSerial] = useState('');
  const [reason, setReason] = useState<Reason>('unspecified');
  const [invalidity, setInvalidity] = useState('');
  const revoke = useAction(useCallback(async (input: { serialHex: string; reason: Reason; invalidityDate?: string }) => {
    const cert = await api.call('certificate.revoke', { caId, ...input });
    await sync();
    return cert;
  }, [caId, sync]));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!serialHex) return;
    void revoke.run({ serialHex, reason, ...(invalidity ? { invalidityDate: new Date(invalidity).toISOString() } : {}) }).then((r) => { if (r) setSerial(''); });
  };
  return (
    <form onSubmit={submit} aria-label="Revoke a certificate">
      <Stack spacing={2} sx={{ maxWidth: 640 }}>
        <TextField select size="small" label="Certificate" value={serialHex} onChange={(e) => setSerial(e.target.value)} required>
          {valid.map((c) => <MenuItem key={c.serialHex} value={c.serialHex}>{c.subject} — {c.serialHex}</MenuItem>)}
        </TextField>
        {valid.length === 0 && <Typography variant="body2">No valid end-entity certificate under this CA.</Typography>}
        <TextField select size="small" label="Reason" value={reason} onChange={(e) => setReason(e.target.value as Reason)}>
          {REASONS.map((r) => <MenuItem key={r} value={r}>{r}</MenuItem>)}
        </TextField>
        <TextField size="small" type="datetime-local" label="Invalidity date (optional)" value={invalidity} onChange={(e) => setInvalidity(e.target.value)} slotProps={{ inputLabel: { shrink: true } }} helperText="When the key is known or suspected to have been compromised" />
        <Button type="submit" variant="contained" color="error" disabled={!serialHex || revoke.running}>{revoke.running ? 'Revoking…' : 'Revoke'}</Button>
      </Stack>
      <ErrorAlert error={revoke.error} />
      {revoke.result && <Typography role="status" sx={{ mt: 1 }}>Revoked {revoke.result.serialHex} ({revoke.result.reason}). Issue a CRL to publish it.</Typography>}
    </form>
  );
}
