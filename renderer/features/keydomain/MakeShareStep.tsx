/**
 * Step 1: one custodian at a time makes their DKEK share. They type their
 * name and a password twice (the core checks both match), or have the core
 * draw a random password split m-of-n among several people, whose shares are
 * then handed out one holder at a time (PasswordSharesHandout). They keep the
 * file and its paper record. A password leaves this form once, to the core.
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
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormLabel from '@mui/material/FormLabel';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useState, type FormEvent } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { WorkProgress } from '../../components/WorkProgress.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { monoSx } from '../../theme.ts';
import { PasswordSharesHandout, type PasswordShares } from './PasswordSharesHandout.tsx';

/** A share as the screen keeps it: never with its password's shares. */
export type MadeShare = Omit<Output<'keydomain.createShare'>, 'passwordShares'>;

type PasswordMode = 'typed' | 'split';

export function MakeShareStep({ totalShares, made, onMade, onPrint }: {
  totalShares: number;
  made: readonly MadeShare[];
  onMade: (share: MadeShare) => void;
  onPrint: (share: MadeShare) => void;
}) {
  const [custodian, setCustodian] = useState('');
  const [mode, setMode] = useState<PasswordMode>('typed');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [threshold, setThreshold] = useState('2');
  const [holders, setHolders] = useState('3');
  // The split password's shares, only while they are handed out; never in the action's result or the made list.
  const [handout, setHandout] = useState<{ custodian: string; fileName: string; sharing: PasswordShares }>();
  const create = useAction(useCallback(async (name: string, secret: { password: string; passwordRepeat: string } | { passwordShares: { threshold: number; total: number } }) => {
    const { passwordShares, ...share } = await api.call('keydomain.createShare', { custodian: name, ...secret });
    if (passwordShares) setHandout({ custodian: share.custodian, fileName: share.fileName, sharing: passwordShares });
    onMade(share);
    return share;
  }, [onMade]));
  const next = made.length + 1;
  const m = Number(threshold);
  const n = Number(holders);
  const splitOk = /^\d{1,3}$/.test(threshold) && /^\d{1,3}$/.test(holders) && m >= 2 && n >= 3 && m <= n && n <= 255;
  const ready = custodian.trim() !== '' && (mode === 'typed' ? password !== '' && repeat !== '' : splitOk);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (create.running || !ready || handout) return;
    const name = custodian.trim();
    const secret = mode === 'typed' ? { password, passwordRepeat: repeat } : { passwordShares: { threshold: m, total: n } };
    setPassword('');
    setRepeat('');
    void create.run(name, secret).then((share) => { if (share) setCustodian(''); });
  };
  return (
    <Box>
      <Typography variant="body1" sx={{ mb: 1 }} role="status">
        {made.length >= totalShares
          ? `All ${totalShares} shares of this domain are made. Each custodian copies their file to their own medium and keeps the paper record.`
          : mode === 'typed'
            ? `Custodian ${next} of ${totalShares}: type your name and a password of your own, twice. Nobody else needs to see the screen.`
            : `Custodian ${next} of ${totalShares}: type your name and how many people hold the password, and how many of them open the file together.`}
      </Typography>
      {handout ? (
        <PasswordSharesHandout custodian={handout.custodian} fileName={handout.fileName} sharing={handout.sharing} onDone={() => setHandout(undefined)} />
      ) : (
        <Box component="form" onSubmit={submit} aria-label="Make a DKEK share" sx={{ display: 'grid', gap: 1.5, maxWidth: 480 }}>
          <FormControl>
            <FormLabel id="share-password-mode">The share file&apos;s password</FormLabel>
            <RadioGroup row aria-labelledby="share-password-mode" value={mode} onChange={(e) => setMode(e.target.value as PasswordMode)}>
              <FormControlLabel value="typed" control={<Radio />} label="A password of their own, typed twice" />
              <FormControlLabel value="split" control={<Radio />} label="A random password split among several people" />
            </RadioGroup>
          </FormControl>
          <TextField label="Custodian" value={custodian} onChange={(e) => setCustodian(e.target.value)} slotProps={{ htmlInput: { maxLength: 64 } }} required />
          {mode === 'typed' ? (
            <>
              <TextField label="Share password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required
                helperText="At least 8 characters; only you know it. It is never shown or kept." />
              <TextField label="Share password again" type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} required
                error={repeat !== '' && password !== '' && repeat !== password} helperText={repeat !== '' && password !== '' && repeat !== password ? 'The two passwords differ.' : ' '} />
            </>
          ) : (
            <Stack direction="row" spacing={2}>
              <TextField label="Holders needed to open it" value={threshold} onChange={(e) => setThreshold(e.target.value.trim())} required error={!splitOk}
                slotProps={{ htmlInput: { inputMode: 'numeric', maxLength: 3 } }} helperText={splitOk ? `Any ${m} of the ${n} holders.` : 'At least 2, and at most the holders in all.'} />
              <TextField label="Holders in all" value={holders} onChange={(e) => setHolders(e.target.value.trim())} required error={!splitOk}
                slotProps={{ htmlInput: { inputMode: 'numeric', maxLength: 3 } }} helperText={splitOk ? 'Each writes down their own share.' : 'At least 3, at most 255.'} />
            </Stack>
          )}
          <Stack direction="row" spacing={2}>
            <Button type="submit" variant="contained" disabled={create.running || !ready}>
              {create.running ? 'Making the share…' : 'Make share'}
            </Button>
          </Stack>
        </Box>
      )}
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
