/**
 * Step 1: one custodian at a time makes their DKEK share. They type their
 * name and a password twice (the core checks both match), and keep the file
 * and its paper record. The password leaves this form once, to the core.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useState, type FormEvent } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { WorkProgress } from '../../components/WorkProgress.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { monoSx } from '../../theme.ts';

export type MadeShare = Output<'keydomain.createShare'>;

export function MakeShareStep({ totalShares, made, onMade, onPrint }: {
  totalShares: number;
  made: readonly MadeShare[];
  onMade: (share: MadeShare) => void;
  onPrint: (share: MadeShare) => void;
}) {
  const [custodian, setCustodian] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const create = useAction(useCallback(async (name: string, pw: string, again: string) => {
    const share = await api.call('keydomain.createShare', { custodian: name, password: pw, passwordRepeat: again });
    onMade(share);
    return share;
  }, [onMade]));
  const next = made.length + 1;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (create.running || custodian.trim() === '' || password === '' || repeat === '') return;
    const [name, pw, again] = [custodian.trim(), password, repeat];
    setPassword('');
    setRepeat('');
    void create.run(name, pw, again).then((share) => { if (share) setCustodian(''); });
  };
  return (
    <Box>
      <Typography variant="body1" sx={{ mb: 1 }} role="status">
        {made.length >= totalShares
          ? `All ${totalShares} shares of this domain are made. Each custodian copies their file to their own medium and keeps the paper record.`
          : `Custodian ${next} of ${totalShares}: type your name and a password of your own, twice. Nobody else needs to see the screen.`}
      </Typography>
      <Box component="form" onSubmit={submit} aria-label="Make a DKEK share" sx={{ display: 'grid', gap: 1.5, maxWidth: 480 }}>
        <TextField label="Custodian" value={custodian} onChange={(e) => setCustodian(e.target.value)} slotProps={{ htmlInput: { maxLength: 64 } }} required />
        <TextField label="Share password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required
          helperText="At least 8 characters; only you know it. It is never shown or kept." />
        <TextField label="Share password again" type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} required
          error={repeat !== '' && password !== '' && repeat !== password} helperText={repeat !== '' && password !== '' && repeat !== password ? 'The two passwords differ.' : ' '} />
        <Stack direction="row" spacing={2}>
          <Button type="submit" variant="contained" disabled={create.running || custodian.trim() === '' || password === '' || repeat === ''}>
            {create.running ? 'Making the share…' : 'Make share'}
          </Button>
        </Stack>
      </Box>
      <WorkProgress running={create.running} label="Deriving the share file key" operation="keydomain.createShare" />
      <ErrorAlert error={create.error} />
      {create.result && !create.running && (
        <Alert severity="success" sx={{ mt: 1 }}>
          Share of {create.result.custodian} written to <Box component="span" sx={monoSx}>{create.result.path}</Box>. Share KCV <Box component="span" sx={monoSx}>{create.result.shareKcv}</Box>.
        </Alert>
      )}
      {made.length > 0 && (
        <Table size="small" aria-label="Shares made" sx={{ mt: 2 }}>
          <TableHead><TableRow><TableCell>Custodian</TableCell><TableCell>Share KCV</TableCell><TableCell>File</TableCell><TableCell>Paper record</TableCell></TableRow></TableHead>
          <TableBody>
            {made.map((s) => (
              <TableRow key={s.path}>
                <TableCell>{s.custodian}</TableCell>
                <TableCell sx={{ ...monoSx, whiteSpace: 'nowrap' }}>{s.shareKcv}</TableCell>
                <TableCell sx={monoSx}>{s.fileName}</TableCell>
                <TableCell><Button size="small" onClick={() => onPrint(s)}>Paper record of {s.custodian}</Button></TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Box>
  );
}
