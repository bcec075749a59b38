/**
 * Step 2: one custodian at a time imports their share into the chosen card:
 * "k of n shares imported", which custodian is next, each share's KCV, and
 * the domain's KCV once the last is in, compared with the one expected.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
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
import type { MadeShare } from './MakeShareStep.tsx';

type Status = Output<'keydomain.status'>;
type File = Output<'keydomain.files'>[number];

export function ImportShareStep({ tokenId, cardName, status, files, made, onImported, onPrint }: {
  tokenId: string;
  cardName: string;
  status: Status;
  files: readonly File[];
  made: readonly MadeShare[];
  onImported: () => void;
  onPrint: (share: { custodian: string; shareKcv: string; fileName: string; date: string }) => void;
}) {
  const [path, setPath] = useState('');
  const [password, setPassword] = useState('');
  const [expected, setExpected] = useState('');
  const [shareKcv, setShareKcv] = useState('');
  const importShare = useAction(useCallback(async (p: string, pw: string, kcv: string, ownKcv: string) => {
    const done = await api.call('keydomain.importShare', { tokenId, path: p, password: pw, ...(kcv ? { expectedKcv: kcv } : {}), ...(ownKcv ? { expectedShareKcv: ownKcv } : {}) });
    onImported();
    return done;
  }, [tokenId, onImported]));
  const custodianOf = (fileName: string): string => made.find((m) => m.fileName === fileName || m.path === fileName)?.custodian
    ?? /^dkek-share-(.+)-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}\.pbe$/.exec(fileName.split('/').pop() ?? '')?.[1] ?? 'custodian';
  const expectedOk = expected === '' || /^[0-9a-f]{16}$/.test(expected);
  const shareKcvOk = shareKcv === '' || /^[0-9a-f]{16}$/.test(shareKcv);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (importShare.running || path === '' || password === '' || !expectedOk || !shareKcvOk) return;
    const pw = password;
    setPassword('');
    void importShare.run(path, pw, expected, shareKcv).then((r) => { if (r) { setPath(''); setShareKcv(''); } });
  };
  if (!status.configured) {
    return <Alert severity="warning">{cardName} was initialized without a key domain: it can take no DKEK shares. Initialize it with the number of shares first (this erases its keys).</Alert>;
  }
  return (
    <Box>
      <Typography variant="h3" component="p" role="status" aria-live="polite" sx={{ mb: 1 }}>
        {status.importedShares} of {status.totalShares} shares imported into {cardName}
        {status.complete ? ` — key domain complete, KCV ${status.kcv}` : ''}
      </Typography>
      {status.shares.length > 0 && (
        <Table size="small" aria-label={`Shares in ${cardName}`} sx={{ mb: 2 }}>
          <TableHead><TableRow><TableCell>#</TableCell><TableCell>Custodian</TableCell><TableCell>Share KCV</TableCell><TableCell>Imported</TableCell><TableCell>Paper record</TableCell></TableRow></TableHead>
          <TableBody>
            {status.shares.map((s, i) => (
              <TableRow key={`${s.shareKcv}-${s.time}`}>
                <TableCell>{i + 1}</TableCell>
                <TableCell>{custodianOf(s.fileName)}</TableCell>
                <TableCell sx={{ ...monoSx, whiteSpace: 'nowrap' }}>{s.shareKcv}</TableCell>
                <TableCell>{s.time}</TableCell>
                <TableCell>
                  <Button size="small" onClick={() => onPrint({ custodian: custodianOf(s.fileName), shareKcv: s.shareKcv, fileName: s.fileName.split('/').pop() ?? s.fileName, date: s.time })}>
                    Paper record of share {i + 1}
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {importShare.result?.complete && importShare.result.expectedKcv !== undefined && (
        <Alert severity="success" sx={{ mb: 1 }}>The domain&apos;s KCV {importShare.result.kcv} is the expected {importShare.result.expectedKcv}.</Alert>
      )}
      {!status.complete && (
        <Box component="form" onSubmit={submit} aria-label="Import a DKEK share" sx={{ display: 'grid', gap: 1.5, maxWidth: 560 }}>
          <Typography variant="body1">Custodian {status.importedShares + 1} of {status.totalShares}: choose your share file and type its password.</Typography>
          <TextField select label="Share file" value={path} onChange={(e) => setPath(e.target.value)} required
            helperText={files.length === 0 ? 'No share file is in the data folder: make the shares first.' : ' '}>
            {files.map((f) => <MenuItem key={f.path} value={f.path}>{custodianOf(f.fileName)} — {f.fileName}</MenuItem>)}
          </TextField>
          <TextField label="Share password" type="password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)} required
            helperText="Sent to the core once, to open the file; never shown or kept." />
          <TextField label="Share KCV from your paper record (optional)" value={shareKcv} onChange={(e) => setShareKcv(e.target.value.replaceAll(':', '').trim().toLowerCase())}
            error={!shareKcvOk} helperText={shareKcvOk ? 'The file must open to this share, or nothing is imported.' : '16 hex digits.'}
            slotProps={{ htmlInput: { maxLength: 23, spellCheck: false } }} />
          {status.importedShares + 1 === status.totalShares && (
            <TextField label="Expected domain KCV (optional)" value={expected} onChange={(e) => setExpected(e.target.value.trim().toLowerCase())}
              error={!expectedOk} helperText={expectedOk ? 'From the paper records of another card of this domain: checked once the last share is in.' : '16 hex digits.'}
              slotProps={{ htmlInput: { maxLength: 16, spellCheck: false } }} />
          )}
          <Box><Button type="submit" variant="contained" disabled={importShare.running || path === '' || password === '' || !expectedOk || !shareKcvOk}>
            {importShare.running ? 'Importing…' : 'Import share'}
          </Button></Box>
        </Box>
      )}
      <WorkProgress running={importShare.running} label="Opening the share file" operation="keydomain.importShare" />
      <ErrorAlert error={importShare.error} />
    </Box>
  );
}
