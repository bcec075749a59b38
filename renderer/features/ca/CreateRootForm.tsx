/**
 * Create a root CA on a key of a token: choose, preview exactly what will be
 * signed, then sign. Any change to the choices throws the preview away, and an
 * error finding keeps the sign button off.
 */
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { api } from '../../api.ts';
import { useAppState } from '../../AppState.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { hasBlockingFinding } from '../../components/FindingsList.tsx';
import { WorkProgress } from '../../components/WorkProgress.tsx';
import { useCatalog } from '../../db/CatalogProvider.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { useCall } from '../../hooks/useCall.ts';
import { describeKeySpec } from '../tokens/keySpecs.ts';
import { useTokenKeys } from '../tokens/useTokenKeys.ts';
import { PreviewView } from './PreviewView.tsx';

export function CreateRootForm() {
  const { tokens } = useAppState();
  const { sync } = useCatalog();
  const profiles = useCall('profile.list', undefined);
  const rootProfiles = useMemo(() => (profiles.data ?? []).filter((p) => p.kind === 'root'), [profiles.data]);
  const [tokenId, setTokenId] = useState('');
  const [keySpkiSha256, setKey] = useState('');
  const [profileId, setProfileId] = useState('');
  const [subject, setSubject] = useState('');
  const [name, setName] = useState('');
  const [validityDays, setValidityDays] = useState('');
  const keys = useTokenKeys(tokenId || undefined);

  useEffect(() => { if (!profileId && rootProfiles[0]) setProfileId(rootProfiles[0].id); }, [rootProfiles, profileId]);

  const input = useMemo(() => ({
    tokenId, keySpkiSha256, profileId, subject: subject.trim(),
    ...(validityDays ? { validityDays: Number(validityDays) } : {}),
  }), [tokenId, keySpkiSha256, profileId, subject, validityDays]);
  const complete = Boolean(tokenId && keySpkiSha256 && profileId && input.subject);

  const preview = useAction(useCallback(async (i: typeof input) => api.call('ca.previewRoot', i), []));
  const resetPreview = preview.reset;
  const create = useAction(useCallback(async (i: typeof input, caName: string, tbsSha256: string) => {
    // Bound to the preview shown: the core signs exactly that TBS or refuses (PREVIEW_MISMATCH, PREVIEW_EXPIRED).
    const ca = await api.call('ca.createRoot', { ...i, name: caName, tbsSha256 });
    // One preview, one signature: another root needs its own preview.
    resetPreview();
    await sync();
    return ca;
  }, [sync, resetPreview]));
  const { reset } = preview;
  // A preview is of one exact input: any edit makes it stale.
  useEffect(() => { reset(); }, [input, reset]);

  const canCreate = preview.result !== undefined && !hasBlockingFinding(preview.result.findings) && name.trim() !== '' && !create.running;
  const loggedInTokens = tokens.filter((t) => t.loggedIn);

  const submitPreview = (e: FormEvent) => { e.preventDefault(); if (complete) void preview.run(input); };

  return (
    <form onSubmit={submitPreview} aria-label="Create a root CA">
      <Stack spacing={2} sx={{ maxWidth: 720 }}>
        {loggedInTokens.length === 0 && <Typography variant="body2">Log in to a token first (Tokens).</Typography>}
        <TextField select label="Token" value={tokenId} onChange={(e) => { setTokenId(e.target.value); setKey(''); }} size="small" required>
          {loggedInTokens.map((t) => <MenuItem key={t.id} value={t.id}>{t.label}{t.virtual ? ' (VIRTUAL)' : ''}</MenuItem>)}
        </TextField>
        <TextField select label="Key" value={keySpkiSha256} onChange={(e) => setKey(e.target.value)} size="small" required disabled={!tokenId}>
          {(keys.data ?? []).map((k) => <MenuItem key={k.spkiSha256} value={k.spkiSha256}>{k.label} — {describeKeySpec(k.spec)} — {k.spkiSha256.slice(0, 16)}…</MenuItem>)}
        </TextField>
        <TextField select label="Profile" value={profileId} onChange={(e) => setProfileId(e.target.value)} size="small" required>
          {rootProfiles.map((p) => <MenuItem key={p.id} value={p.id}>{p.title}</MenuItem>)}
        </TextField>
        <TextField label="Subject DN" placeholder="C=DE, O=Example, CN=Example Root CA" value={subject} onChange={(e) => setSubject(e.target.value)} size="small" required
          helperText="Most significant first, as OpenSSL shows it: C=DE, O=Example, CN=Example Root CA" />
        <TextField label="Validity (days)" type="number" value={validityDays} onChange={(e) => setValidityDays(e.target.value)} size="small"
          helperText={`Empty: the profile's default${rootProfiles.find((p) => p.id === profileId) ? ` (${rootProfiles.find((p) => p.id === profileId)!.defaultValidityDays} days)` : ''}`}
          slotProps={{ htmlInput: { min: 1 } }} />
        <TextField label="CA name" value={name} onChange={(e) => setName(e.target.value)} size="small" required slotProps={{ htmlInput: { maxLength: 64 } }} helperText="How this CA is called in Custos" />
        <Stack direction="row" spacing={2}>
          <Button type="submit" variant="outlined" disabled={!complete || preview.running}>Preview</Button>
        </Stack>
      </Stack>
      <ErrorAlert error={profiles.error} />
      <ErrorAlert error={preview.error} />
      {preview.result && <PreviewView preview={preview.result} />}
      {/* After the preview, so the person reads what will be signed before reaching the button. */}
      <Button sx={{ mt: 2 }} variant="contained" disabled={!canCreate} onClick={() => { if (preview.result) void create.run(input, name.trim(), preview.result.tbsSha256); }}>
        {create.running ? 'Signing…' : 'Sign and create root CA'}
      </Button>
      {preview.result === undefined && <Typography variant="body2" sx={{ mt: 1 }}>Preview first: signing is possible only after a preview without error findings.</Typography>}
      <WorkProgress running={create.running} label="Signing the root certificate on the token" />
      <ErrorAlert error={create.error} />
      {create.result && <Typography role="status" sx={{ mt: 1 }}>Created {create.result.name}.</Typography>}
    </form>
  );
}
