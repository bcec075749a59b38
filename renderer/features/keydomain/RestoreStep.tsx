/**
 * Step 4: a backup is restored into a secondary SmartCard-HSM of the same
 * key domain. The core refuses a card of another domain or one that holds
 * the key already, and checks the restored public key is the backed-up one.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useState } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { monoSx } from '../../theme.ts';

type Token = Output<'token.list'>[number];
type File = Output<'keydomain.files'>[number];

export function RestoreStep({ secondaries, backups, onRestored }: {
  secondaries: readonly Token[];
  backups: readonly File[];
  onRestored: () => void;
}) {
  const [tokenId, setTokenId] = useState('');
  const [path, setPath] = useState('');
  const target = secondaries.find((t) => t.id === tokenId);
  const restore = useAction(useCallback(async (id: string, p: string) => {
    const restored = await api.call('keydomain.restoreKey', { tokenId: id, path: p });
    onRestored();
    return restored;
  }, [onRestored]));
  if (secondaries.length === 0) return <Alert severity="info">Insert the secondary SmartCard-HSM, with the same custodians&apos; shares imported, to restore into it.</Alert>;
  return (
    <Box>
      <Typography variant="body1" sx={{ mb: 1 }}>Restore a backup into a secondary HSM whose key domain has the same KCV. Keep the card the key came from logged in: it vouches for the secondary, which can then sign for the CA alone.</Typography>
      <Box sx={{ display: 'grid', gap: 1.5, maxWidth: 640 }}>
        <TextField select label="Secondary HSM" value={tokenId} onChange={(e) => setTokenId(e.target.value)}>
          {secondaries.map((t) => <MenuItem key={t.id} value={t.id}>{t.label} — serial {t.serial}{t.loggedIn ? '' : ' (not logged in)'}</MenuItem>)}
        </TextField>
        <TextField select label="Backup (.wky)" value={path} onChange={(e) => setPath(e.target.value)}
          helperText={backups.length === 0 ? 'No backup is in the data folder: back a key up first.' : ' '}>
          {backups.map((b) => <MenuItem key={b.path} value={b.path}>{b.fileName}</MenuItem>)}
        </TextField>
        {target && !target.loggedIn && <Alert severity="info">Log in to {target.label} on the Tokens screen first.</Alert>}
        <Box><Button variant="contained" disabled={!target?.loggedIn || path === '' || restore.running} onClick={() => void restore.run(tokenId, path)}>
          {restore.running ? 'Restoring…' : 'Restore into this HSM'}
        </Button></Box>
      </Box>
      <ErrorAlert error={restore.error} />
      {restore.result && (
        <Alert severity="success" sx={{ mt: 2 }} role="status">
          Restored “{restore.result.key.label}” into {target?.label ?? 'the secondary'}: its public key SHA-256 <Box component="span" sx={monoSx}>{restore.result.key.spkiSha256}</Box> is the backed-up key,
          key domain KCV <Box component="span" sx={monoSx}>{restore.result.domainKcv}</Box>.
          {restore.result.journalKeyVouched ? ' This HSM may now sign for the CA alone.' : ''}
        </Alert>
      )}
    </Box>
  );
}
