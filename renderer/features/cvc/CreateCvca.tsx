/** A new CVCA on a token key: token, key, holder reference, then the preview with its hash, then the signature. */
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { useCall } from '../../hooks/useCall.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { CvcPreviewView } from './CvcPreviewView.tsx';

export function CreateCvca() {
  const tokens = useCall('token.list', undefined);
  const usable = useMemo(() => (tokens.data ?? []).filter((t) => t.loggedIn && t.error === undefined), [tokens.data]);
  const [tokenId, setTokenId] = useState('');
  const keys = useCall('token.keys', tokenId ? { tokenId } : null);
  const [keySpkiSha256, setKey] = useState('');
  const [chr, setChr] = useState('');
  const [validityDays, setValidityDays] = useState('');
  useEffect(() => { if (!tokenId && usable[0]) setTokenId(usable[0].id); }, [usable, tokenId]);
  const terms = useMemo(() => ({ tokenId, keySpkiSha256, chr, ...(validityDays ? { validityDays: Number(validityDays) } : {}) }), [tokenId, keySpkiSha256, chr, validityDays]);
  const preview = useAction(useCallback(async (t: typeof terms) => api.call('cvc.previewInit', t), []));
  const create = useAction(useCallback(async (t: typeof terms & { bodySha256: string; effectiveDate: string }) => api.call('cvc.init', t), []));
  const { reset } = preview;
  useEffect(() => { reset(); }, [terms, reset]);
  if (usable.length === 0) return <Typography variant="body2">Log in to a token (Tokens) to make a CVCA on one of its keys.</Typography>;
  return (
    <>
      <Stack spacing={2} sx={{ maxWidth: 640 }} component="form" aria-label="Make a CVCA" onSubmit={(e) => { e.preventDefault(); void preview.run(terms); }}>
        <TextField select size="small" label="Token" value={tokenId} onChange={(e) => { setTokenId(e.target.value); setKey(''); }} required>
          {usable.map((t) => <MenuItem key={t.id} value={t.id}>{visibleText(t.label)}{t.virtual ? ' (VIRTUAL)' : ''}</MenuItem>)}
        </TextField>
        <TextField select size="small" label="Key" value={keySpkiSha256} onChange={(e) => setKey(e.target.value)} required>
          {(keys.data ?? []).map((k) => <MenuItem key={k.spkiSha256} value={k.spkiSha256}>{visibleText(k.label)}</MenuItem>)}
        </TextField>
        <TextField size="small" label="Holder reference (CHR)" value={chr} onChange={(e) => setChr(e.target.value)} required helperText="Country, mnemonic, 5-character sequence: e.g. DECVCA00001" />
        <TextField size="small" type="number" label="Validity (days)" value={validityDays} onChange={(e) => setValidityDays(e.target.value)} helperText="Empty: the profile's default" slotProps={{ htmlInput: { min: 1 } }} />
        <Stack direction="row" spacing={2}><Button type="submit" variant="outlined" disabled={!keySpkiSha256 || !chr || preview.running}>Preview</Button></Stack>
      </Stack>
      <ErrorAlert error={preview.error} />
      {preview.result && <CvcPreviewView preview={preview.result} />}
      {preview.result && (
        <Button sx={{ mt: 2 }} variant="contained" disabled={preview.result.findings.length > 0 || create.running}
          onClick={() => { if (preview.result) void create.run({ ...terms, bodySha256: preview.result.bodySha256, effectiveDate: preview.result.effectiveDate }); }}>
          Sign CVCA certificate
        </Button>
      )}
      <ErrorAlert error={create.error} />
      {create.result && <Typography role="status" sx={{ mt: 1 }}>CVCA {visibleText(create.result.chr)} made.</Typography>}
    </>
  );
}
