/**
 * A share file's password split m-of-n, handed out one holder at a time as
 * sc-hsm-tool --pwd-shares-* does: the prime, the holder's share ID and value
 * in colon hex. The next holder's share shows only once the previous one has
 * confirmed they wrote theirs down, never two at once; once the last has, the
 * window forgets them all (onDone). Nobody can close this part-way: a share
 * not written down is a share file nobody can open.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useEffect, useRef, useState } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { monoSx } from '../../theme.ts';

export type PasswordShares = NonNullable<Output<'keydomain.createShare'>['passwordShares']>;

export function PasswordSharesHandout({ custodian, fileName, sharing, onDone }: {
  custodian: string;
  fileName: string;
  sharing: PasswordShares;
  onDone: () => void;
}) {
  const [holder, setHolder] = useState(0);
  const [shown, setShown] = useState(false);
  const [written, setWritten] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const total = sharing.shares.length;
  const share = sharing.shares[holder]!;
  const last = holder === total - 1;
  // Each holder's turn starts with the focus on its heading, so a screen reader and the keyboard start there too.
  useEffect(() => { heading.current?.focus(); }, [holder]);
  const next = () => {
    if (!written) return;
    if (last) { onDone(); return; }
    setHolder(holder + 1);
    setShown(false);
    setWritten(false);
  };
  return (
    <Paper variant="outlined" sx={{ p: 2, mt: 2, maxWidth: 640 }} role="region" aria-label="Password shares, one holder at a time">
      <Typography variant="h3" component="h3" tabIndex={-1} ref={heading} sx={{ mb: 1, outline: 'none' }}>
        Password share {holder + 1} of {total} for {custodian}&apos;s share file
      </Typography>
      <Typography variant="body2" sx={{ mb: 1 }}>
        The password of <Box component="span" sx={monoSx}>{fileName}</Box> is split: any {sharing.threshold} of the {total} holders open it together.
        Holder {holder + 1}, step up to the screen; everyone else, look away.
      </Typography>
      {!shown && <Button variant="contained" onClick={() => setShown(true)}>Show password share {holder + 1}</Button>}
      {shown && (
        <>
          <Table size="small" aria-label={`Password share ${holder + 1}`} sx={{ mb: 1 }}>
            <TableBody>
              <TableRow><TableCell component="th" scope="row">Prime</TableCell><TableCell sx={{ ...monoSx, wordBreak: 'break-all' }}>{sharing.prime}</TableCell></TableRow>
              <TableRow><TableCell component="th" scope="row">Share ID</TableCell><TableCell sx={monoSx}>{share.id}</TableCell></TableRow>
              <TableRow><TableCell component="th" scope="row">Share value</TableCell><TableCell sx={{ ...monoSx, wordBreak: 'break-all' }}>{share.value}</TableCell></TableRow>
            </TableBody>
          </Table>
          <FormControlLabel
            control={<Checkbox checked={written} onChange={(e) => setWritten(e.target.checked)} />}
            label={`Holder ${holder + 1} has written down the prime, share ID ${share.id} and its value`}
          />
          <Box sx={{ mt: 1 }}>
            <Button variant="contained" disabled={!written} onClick={next}>{last ? 'Done: clear the shares from the screen' : `Hide it: next holder (${holder + 2} of ${total})`}</Button>
          </Box>
        </>
      )}
      <Alert severity="info" sx={{ mt: 2 }}>Custos keeps none of these values: once the last holder is done they are gone from this window too.</Alert>
    </Paper>
  );
}
