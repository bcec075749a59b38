/** An imported CV request: its body and attestation, then issuer, profile and terms, the preview with its hash, and the signature. */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { WorkProgress } from '../../components/WorkProgress.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { useCall } from '../../hooks/useCall.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { CvcBodyView } from './CvcBodyView.tsx';
import { CvcPreviewView } from './CvcPreviewView.tsx';
import { ATTESTATION_WORDS } from './useCvc.ts';

const GOOD = new Set(['cardcontact', 'authority', 'plain']);

export function SignCvcRequest({ requestId, authorities }: { requestId: string; authorities: readonly { id: string; chr: string; role: string; virtual: boolean }[] }) {
  const request = useCall('cvc.request', { id: requestId });
  const profiles = useCall('cvc.profiles', undefined);
  const signingProfiles = useMemo(() => (profiles.data ?? []).filter((p) => p.role !== 'cvca'), [profiles.data]);
  const [issuerId, setIssuerId] = useState('');
  const [profileId, setProfileId] = useState('');
  const [validityDays, setValidityDays] = useState('');
  const [authorizations, setAuthorizations] = useState('');
  useEffect(() => { if (!issuerId && authorities[0]) setIssuerId(authorities[0].id); }, [authorities, issuerId]);

  const terms = useMemo(() => ({
    issuerId, profileId, requestId, ...(validityDays ? { validityDays: Number(validityDays) } : {}),
    ...(authorizations.trim() ? { authorizations: authorizations.split(',').map((a) => a.trim()).filter(Boolean) } : {}),
  }), [issuerId, profileId, requestId, validityDays, authorizations]);
  const preview = useAction(useCallback(async (t: typeof terms) => api.call('cvc.preview', t), []));
  const sign = useAction(useCallback(async (t: typeof terms & { bodySha256: string; effectiveDate: string }) => {
    const signed = await api.call('cvc.sign', t);
    request.reload();
    return signed;
  }, [request.reload]));
  const { reset } = preview;
  useEffect(() => { reset(); }, [terms, reset]);

  const summary = request.data?.summary;
  const pending = summary !== undefined && summary.signedCertificateId === undefined;
  const canSign = pending && preview.result !== undefined && preview.result.findings.length === 0 && !sign.running;
  return (
    <Box>
      <ErrorAlert error={request.error} />
      {request.data && summary && (
        <>
          <Alert severity={GOOD.has(summary.attestation) ? (summary.attestation === 'plain' ? 'info' : 'success') : 'warning'} sx={{ mb: 1 }} data-testid="cvc-attestation">
            {ATTESTATION_WORDS[summary.attestation]}
            {summary.attestationPath.length > 0 && <> — chain: {summary.attestationPath.map(visibleText).join(' → ')}</>}
            {summary.outerCar !== undefined && <> (outer CAR {visibleText(summary.outerCar)})</>}
          </Alert>
          <CvcBodyView body={request.data.body} label="CV request" />
        </>
      )}
      {summary && !pending && <Typography role="status" sx={{ mt: 2 }}>This request is signed.</Typography>}
      {pending && (
        <Stack spacing={2} sx={{ mt: 2, maxWidth: 640 }} component="form" aria-label="Sign the CV request" onSubmit={(e) => { e.preventDefault(); if (issuerId && profileId) void preview.run(terms); }}>
          <TextField select size="small" label="Issuing authority" value={issuerId} onChange={(e) => setIssuerId(e.target.value)} required>
            {authorities.map((a) => <MenuItem key={a.id} value={a.id}>{visibleText(a.chr)} ({a.role}){a.virtual ? ' (VIRTUAL)' : ''}</MenuItem>)}
          </TextField>
          <TextField select size="small" label="Profile" value={profileId} onChange={(e) => setProfileId(e.target.value)} required>
            {signingProfiles.map((p) => <MenuItem key={p.id} value={p.id}>{p.title}</MenuItem>)}
          </TextField>
          <TextField size="small" type="number" label="Validity (days)" value={validityDays} onChange={(e) => setValidityDays(e.target.value)} helperText="Empty: the profile's default" slotProps={{ htmlInput: { min: 1 } }} />
          <TextField size="small" label="Authorizations" value={authorizations} onChange={(e) => setAuthorizations(e.target.value)} helperText="Comma-separated, e.g. read-dg1, age-verification. Empty: the profile's" />
          <Stack direction="row" spacing={2}>
            <Button type="submit" variant="outlined" disabled={!issuerId || !profileId || preview.running}>Preview</Button>
          </Stack>
        </Stack>
      )}
      <ErrorAlert error={preview.error} />
      {pending && preview.result && <CvcPreviewView preview={preview.result} />}
      {pending && (
        <Button sx={{ mt: 2 }} variant="contained" disabled={!canSign}
          onClick={() => { if (preview.result) void sign.run({ ...terms, bodySha256: preview.result.bodySha256, effectiveDate: preview.result.effectiveDate }); }}>
          {sign.running ? 'Signing…' : 'Sign CV certificate'}
        </Button>
      )}
      <WorkProgress running={sign.running} label="Signing the CV certificate on the token" />
      <ErrorAlert error={sign.error} />
      {sign.result && <Typography role="status" sx={{ mt: 1 }}>Signed: {visibleText(sign.result.chr)} by {visibleText(sign.result.car)}.</Typography>}
    </Box>
  );
}
