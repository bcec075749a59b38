/**
 * A request (CSR) for a key on this token, signed by the token: how an
 * issuing CA's key lives on its own HSM while the root, elsewhere, signs it.
 * The request is also imported here, so a parent CA in this journal finds it
 * under Requests.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { useCallback, useState, type FormEvent } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { directoryOf, useExportDestination } from '../../components/ExportDestination.tsx';
import { ExportResultView } from '../../components/ExportResultView.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { describeKeySpec } from './keySpecs.ts';

export function KeyRequestForm({ tokenId, keys, disabled }: { tokenId: string; keys: Output<'token.keys'>; disabled: boolean }) {
  const [keySpkiSha256, setKey] = useState('');
  const [subject, setSubject] = useState('');
  const { destination, control } = useExportDestination();
  const directory = directoryOf(destination);
  const make = useAction(useCallback(async (key: string, dn: string) =>
    api.call('key.csr', { tokenId, keySpkiSha256: key, subject: dn, ...(directory ? { directory } : {}) }), [tokenId, directory]));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (keySpkiSha256 && subject.trim()) void make.run(keySpkiSha256, subject.trim());
  };
  return (
    <form onSubmit={submit} aria-label="Make a request for a key">
      <Stack spacing={2} sx={{ maxWidth: 640 }}>
        <TextField select size="small" label="Key" value={keySpkiSha256} onChange={(e) => setKey(e.target.value)} required disabled={disabled}>
          {keys.map((k) => <MenuItem key={k.spkiSha256} value={k.spkiSha256}>{k.label} — {describeKeySpec(k.spec)}</MenuItem>)}
        </TextField>
        <TextField size="small" label="Subject DN of the new CA" placeholder="C=DE, O=Example, CN=Example Issuing CA" value={subject} onChange={(e) => setSubject(e.target.value)} required disabled={disabled}
          // A disabled field's helper text is greyed below readable contrast: the hint shows once the field can be used.
          helperText={disabled ? undefined : "Most significant first; the parent CA's profile decides the rest"} />
        {control}
        <Button type="submit" variant="outlined" disabled={disabled || !keySpkiSha256 || !subject.trim() || make.running} sx={{ alignSelf: 'flex-start' }}>
          {make.running ? 'Signing the request…' : 'Make request'}
        </Button>
      </Stack>
      <ErrorAlert error={make.error} />
      {make.result && <Alert severity="info" sx={{ mt: 1 }}>Request for {visibleText(make.result.request.subject)} imported under Requests, ready for a parent CA here.</Alert>}
      <ExportResultView result={make.result?.export} />
    </form>
  );
}
