/** The decoded request, then CA, profile and validity, a preview with findings, and the signature. */
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '../../api.ts';
import { RequestView } from '../../components/review/RequestView.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { hasBlockingFinding } from '../../components/FindingsList.tsx';
import { WorkProgress } from '../../components/WorkProgress.tsx';
import { useCatalog } from '../../db/CatalogProvider.tsx';
import { useCas } from '../../db/hooks.ts';
import { useAction } from '../../hooks/useAction.ts';
import { useCall } from '../../hooks/useCall.ts';
import { defaultSigningCa } from '../ca/default-ca.ts';
import { PreviewView } from '../ca/PreviewView.tsx';
import { visibleText } from '../../../main/api/visible-text.ts';

export function SignRequest({ requestId }: { requestId: string }) {
  const { sync } = useCatalog();
  const request = useCall('request.get', { requestId });
  const profiles = useCall('profile.list', undefined);
  const cas = useCas();
  const issuingProfiles = useMemo(() => (profiles.data ?? []).filter((p) => p.kind !== 'root'), [profiles.data]);
  const [caId, setCaId] = useState('');
  const [profileId, setProfileId] = useState('');
  const [validityDays, setValidityDays] = useState('');
  // A subordinate CA is named when it is signed; its CA record takes that name.
  const [subName, setSubName] = useState('');
  const isCaProfile = issuingProfiles.find((p) => p.id === profileId)?.kind === 'ca';
  // The default issuer is a CA whose key is on an open token: one that can sign now.
  const live = useCall('ca.list', undefined);
  const onToken = useCallback((id: string): boolean | undefined => live.data?.find((l) => l.id === id)?.keyOnOpenToken, [live.data]);
  useEffect(() => {
    if (caId) return;
    const chosen = defaultSigningCa(cas, live.data, live.error !== undefined);
    if (chosen) setCaId(chosen);
  }, [cas, caId, live.data, live.error]);

  const input = useMemo(() => ({
    requestId, caId, profileId, ...(validityDays ? { validityDays: Number(validityDays) } : {}), ...(isCaProfile && subName.trim() ? { name: subName.trim() } : {}),
  }), [requestId, caId, profileId, validityDays, isCaProfile, subName]);
  const preview = useAction(useCallback(async (i: typeof input) => api.call('request.preview', i), []));
  // Signs the certificate the preview showed (its serial, validity and bytes), not a new plan.
  const sign = useAction(useCallback(async (i: typeof input & { tbsSha256: string }) => {
    const cert = await api.call('request.sign', i);
    await sync();
    request.reload();
    return cert;
  }, [sync, request.reload]));
  const { reset } = preview;
  const [warningsRead, setWarningsRead] = useState(false);
  const resetSign = sign.reset;
  // Another CA, profile or validity is another context: the last preview's errors and warnings no longer apply.
  useEffect(() => { reset(); resetSign(); setWarningsRead(false); }, [input, reset, resetSign]);
  const warnings = preview.result?.review?.warnings ?? [];

  const pending = request.data?.summary.status === 'pending';
  // A warning is a question for the custodian: the signature waits until someone says it was read.
  const canSign = pending && preview.result !== undefined && !hasBlockingFinding(preview.result.findings) && !sign.running && (warnings.length === 0 || warningsRead);

  return (
    <Box>
      <ErrorAlert error={request.error} />
      {request.data && (
        <>
          <Typography variant="h3" component="h3" sx={{ mb: 1 }}>What the request asks for</Typography>
          <RequestView request={request.data} />
        </>
      )}
      {request.data && !pending && <Typography role="status" sx={{ mt: 2 }}>This request is signed: serial {request.data.summary.signedSerial}.</Typography>}
      {pending && (
        <Stack spacing={2} sx={{ mt: 2, maxWidth: 640 }} component="form" aria-label="Sign the request" onSubmit={(e) => { e.preventDefault(); if (caId && profileId) void preview.run(input); }}>
          <TextField select size="small" label="Issuing CA" value={caId} onChange={(e) => setCaId(e.target.value)} required>
            {cas.map((c) => <MenuItem key={c.id} value={c.id}>{visibleText(c.name)}{c.token?.virtual ? ' (VIRTUAL)' : ''}{onToken(c.id) === false ? ' (key on no open token)' : ''}</MenuItem>)}
          </TextField>
          <TextField select size="small" label="Profile" value={profileId} onChange={(e) => setProfileId(e.target.value)} required>
            {issuingProfiles.map((p) => <MenuItem key={p.id} value={p.id}>{p.title}</MenuItem>)}
          </TextField>
          {isCaProfile && <TextField size="small" label="Name of the new CA" value={subName} onChange={(e) => setSubName(e.target.value)} slotProps={{ htmlInput: { maxLength: 64 } }} helperText="How the subordinate CA is called in Custos (empty: its common name)" />}
          <TextField size="small" type="number" label="Validity (days)" value={validityDays} onChange={(e) => setValidityDays(e.target.value)} helperText="Empty: the profile's default" slotProps={{ htmlInput: { min: 1 } }} />
          <Stack direction="row" spacing={2}>
            <Button type="submit" variant="outlined" disabled={!caId || !profileId || preview.running}>Preview</Button>
          </Stack>
        </Stack>
      )}
      <ErrorAlert error={preview.error} />
      {pending && preview.result && <PreviewView preview={preview.result} />}
      {pending && warnings.length > 0 && (
        <FormControlLabel sx={{ mt: 2, display: 'flex' }} control={<Checkbox checked={warningsRead} onChange={(e) => setWarningsRead(e.target.checked)} />}
          label={`I have read the ${warnings.length === 1 ? 'warning' : `${warnings.length} warnings`} above and this certificate is still to be signed`} />
      )}
      {pending && (
        <Button sx={{ mt: 2 }} variant="contained" disabled={!canSign} onClick={() => { if (preview.result) void sign.run({ ...input, tbsSha256: preview.result.tbsSha256 }); }}>{sign.running ? 'Signing…' : 'Sign certificate'}</Button>
      )}
      <WorkProgress running={sign.running} label="Signing the certificate on the token" />
      <ErrorAlert error={sign.error} />
      {sign.result && <Typography role="status" sx={{ mt: 1 }}>Signed: serial {sign.result.serialHex}.</Typography>}
    </Box>
  );
}
