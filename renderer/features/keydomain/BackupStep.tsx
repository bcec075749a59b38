/**
 * Step 3: a key of the card, chosen by its label and its public key's
 * SHA-256 (never a key reference), is wrapped under the domain's DKEK into a
 * .wky file and a .custos.json that names the domain KCV and the key.
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
import { DescriptionView } from '../../components/DescriptionView.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { monoSx } from '../../theme.ts';
import { describeKeySpec } from '../tokens/keySpecs.ts';
import { useTokenKeys } from '../tokens/useTokenKeys.ts';

type Status = Output<'keydomain.status'>;

export function BackupStep({ tokenId, cardName, loggedIn, status, onBackedUp }: {
  tokenId: string;
  cardName: string;
  loggedIn: boolean;
  status: Status;
  onBackedUp: () => void;
}) {
  const keys = useTokenKeys(loggedIn ? tokenId : undefined);
  const [chosen, setChosen] = useState('');
  const key = keys.data?.find((k) => k.spkiSha256 === chosen);
  const backup = useAction(useCallback(async (label: string, spkiSha256: string) => {
    const written = await api.call('keydomain.backupKey', { tokenId, label, keySpkiSha256: spkiSha256 });
    onBackedUp();
    return written;
  }, [tokenId, onBackedUp]));
  if (!status.complete) return <Alert severity="info">Back up a key once every DKEK share is in {cardName}.</Alert>;
  if (!loggedIn) return <Alert severity="info">Log in to {cardName} (above) to choose the key to back up.</Alert>;
  // The journal key signs checkpoints for this card only: it is never backed up.
  const candidates = (keys.data ?? []).filter((k) => k.label !== 'custos-journal');
  return (
    <Box>
      <Typography variant="body1" sx={{ mb: 1 }}>Key domain KCV <Box component="span" sx={monoSx}>{status.kcv}</Box>. Choose the key by its label and the SHA-256 of its public key.</Typography>
      <Box sx={{ display: 'grid', gap: 1.5, maxWidth: 640 }}>
        <TextField select label="Key to back up" value={chosen} onChange={(e) => setChosen(e.target.value)}>
          {candidates.map((k) => <MenuItem key={k.spkiSha256} value={k.spkiSha256}>{k.label} — {describeKeySpec(k.spec)} — SHA-256 {k.spkiSha256.slice(0, 16)}…</MenuItem>)}
        </TextField>
        {key && <Typography variant="body2">Public key SHA-256: <Box component="span" sx={monoSx}>{key.spkiSha256}</Box></Typography>}
        <Box><Button variant="contained" disabled={!key || backup.running} onClick={() => key && void backup.run(key.label, key.spkiSha256)}>
          {backup.running ? 'Backing up…' : 'Back up this key'}
        </Button></Box>
      </Box>
      <ErrorAlert error={keys.error ?? backup.error} />
      {backup.result && (
        <Box sx={{ mt: 2 }} aria-label="Backup written" role="region">
          <Alert severity="success" sx={{ mb: 1 }}>Backed up “{backup.result.label}”: copy both files to the backup medium.</Alert>
          <DescriptionView value={{
            'Key': `${backup.result.label} (${describeKeySpec(backup.result.keySpec)})`, 'Public key SHA-256': backup.result.spkiSha256,
            'Key domain KCV': backup.result.domainKcv, '.wky file': backup.result.wkyPath, 'Record': backup.result.metadataPath,
            ...(backup.result.cas.length ? { 'Key of CA': backup.result.cas.map((c) => c.name).join(', ') } : {}),
          }} />
        </Box>
      )}
    </Box>
  );
}
