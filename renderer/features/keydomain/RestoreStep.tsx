/**
 * Step 4: a backup is restored into a secondary SmartCard-HSM of the same
 * key domain. The core refuses a card of another domain or one that holds
 * the key already, and checks the restored public key is the backed-up one.
 * The screen shows what the backup holds before the restore; a .wky with no
 * .custos.json (as sc-hsm-tool --wrap-key writes it) is restored only when
 * the person types the key's expected fingerprint, or a CA has that key.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useState } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { api, ApiError } from '../../api.ts';
import { DescriptionView } from '../../components/DescriptionView.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useCall } from '../../hooks/useCall.ts';
import { useAction } from '../../hooks/useAction.ts';
import { monoSx } from '../../theme.ts';
import { describeKeySpec } from '../tokens/keySpecs.ts';

type Token = Output<'token.list'>[number];
type File = Output<'keydomain.files'>[number];

export function RestoreStep({ secondaries, backups, onRestored }: {
  secondaries: readonly Token[];
  backups: readonly File[];
  onRestored: () => void;
}) {
  const [tokenId, setTokenId] = useState('');
  const [path, setPath] = useState('');
  const [expected, setExpected] = useState('');
  // A .wky picked in the shell's dialog (sc-hsm-tool's, on a medium): readable by the core from then on.
  const [picked, setPicked] = useState<File[]>([]);
  const pick = useAction(useCallback(async () => {
    const files = (await api.call('request.pickFiles')).filter((f) => /\.wky$/i.test(f.name));
    if (files.length === 0) throw new ApiError({ code: 'KEY_BACKUP_INVALID', message: 'Choose a .wky file: a key backup as Custos or sc-hsm-tool --wrap-key writes it.' });
    setPicked((p) => [...p.filter((x) => !files.some((f) => f.path === x.path)), ...files.map((f) => ({ path: f.path, fileName: f.name, kind: 'backup' as const, bytes: f.bytes }))]);
    setPath(files[0]!.path);
    setExpected('');
    return files;
  }, []));
  const choices = [...backups, ...picked.filter((p) => !backups.some((b) => b.path === p.path))];
  const target = secondaries.find((t) => t.id === tokenId);
  // What the backup holds, read by the core from its record or, failing one, from the .wky itself.
  const backup = useCall('keydomain.inspectBackup', path === '' ? null : { path });
  const view = backup.data;
  const expectedKey = expected.replaceAll(':', '').trim().toLowerCase();
  const expectedOk = expectedKey === '' || /^[0-9a-f]{64}$/.test(expectedKey);
  // A .wky alone names its key only by what it holds: the person says which key they expect, unless a CA of this journal has it.
  const needsExpected = view !== undefined && !view.hasRecord && view.cas.length === 0;
  const restore = useAction(useCallback(async (id: string, p: string, key: string) => {
    const restored = await api.call('keydomain.restoreKey', { tokenId: id, path: p, ...(key ? { expectedKeySha256: key } : {}) });
    onRestored();
    return restored;
  }, [onRestored]));
  if (secondaries.length === 0) return <Alert severity="info">Insert the secondary SmartCard-HSM, with the same custodians&apos; shares imported, to restore into it.</Alert>;
  const canRestore = target?.loggedIn === true && view !== undefined && !restore.running && expectedOk && (!needsExpected || expectedKey !== '');
  return (
    <Box>
      <Typography variant="body1" sx={{ mb: 1 }}>Restore a backup into a secondary HSM whose key domain has the same KCV. Keep the card the key came from logged in: it vouches for the secondary, which can then sign for the CA alone.</Typography>
      <Box sx={{ display: 'grid', gap: 1.5, maxWidth: 640 }}>
        <TextField select label="Secondary HSM" value={tokenId} onChange={(e) => setTokenId(e.target.value)}>
          {secondaries.map((t) => <MenuItem key={t.id} value={t.id}>{t.label} — serial {t.serial}{t.loggedIn ? '' : ' (not logged in)'}</MenuItem>)}
        </TextField>
        <TextField select label="Backup (.wky)" value={path} onChange={(e) => { setPath(e.target.value); setExpected(''); restore.reset(); }}
          helperText={choices.length === 0 ? 'No backup is in the data folder: back a key up first, or choose a .wky from a medium.' : ' '}>
          {choices.map((b) => <MenuItem key={b.path} value={b.path}>{b.fileName}</MenuItem>)}
        </TextField>
        <Box><Button variant="outlined" onClick={() => void pick.run()} disabled={pick.running}>Choose a .wky from a medium…</Button></Box>
        {view && (
          <Box role="region" aria-label="What the backup holds">
            <DescriptionView value={{
              'Key': `${view.label === '' ? '(no label)' : view.label} (${describeKeySpec(view.keySpec)})`, 'Public key SHA-256': view.spkiSha256, 'Key domain KCV': view.domainKcv,
              'Record': view.hasRecord ? 'the .custos.json written at the backup' : 'none: read from the .wky itself',
              ...(view.cas.length ? { 'Key of CA': view.cas.map((c) => c.name).join(', ') } : {}),
            }} />
          </Box>
        )}
        {view && !view.hasRecord && (
          <TextField label={needsExpected ? 'Expected public key SHA-256' : 'Expected public key SHA-256 (optional)'} value={expected} onChange={(e) => setExpected(e.target.value)}
            required={needsExpected} error={!expectedOk} sx={{ '& .MuiInputBase-input': { ...monoSx, fontSize: '0.8125rem' } }}
            helperText={expectedOk ? 'From your own record of the key: all 64 hex digits. The key is restored only if it is this one.' : 'All 64 hex digits of the SHA-256.'}
            slotProps={{ htmlInput: { spellCheck: false, autoComplete: 'off', maxLength: 95 } }} />
        )}
        {target && !target.loggedIn && <Alert severity="info">Log in to {target.label} on the Tokens screen first.</Alert>}
        <Box><Button variant="contained" disabled={!canRestore} onClick={() => void restore.run(tokenId, path, expectedKey)}>
          {restore.running ? 'Restoring…' : 'Restore into this HSM'}
        </Button></Box>
      </Box>
      <ErrorAlert error={pick.error ?? backup.error ?? restore.error} />
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
