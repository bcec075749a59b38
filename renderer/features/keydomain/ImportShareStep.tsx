/**
 * Step 2: one custodian at a time imports their share into the chosen card:
 * "k of n shares imported", which custodian is next, each share's KCV, and
 * the domain's KCV once the last is in, compared with the one expected. A
 * file whose password was split is opened with the prime and the password
 * shares of enough holders, each typed by its holder in turn.
 *
 * The Ceremony screen's DKEK-import step shows this same step: it passes
 * its own importShare (the ceremony's act takes the share), the KCV the
 * domain must come out with, and a file picker beside the list.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormLabel from '@mui/material/FormLabel';
import MenuItem from '@mui/material/MenuItem';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useState, type FormEvent, type ReactNode } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { localTime } from '../../components/review/words.ts';
import { WorkProgress } from '../../components/WorkProgress.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { monoSx } from '../../theme.ts';
import type { MadeShare } from './MakeShareStep.tsx';

type Status = Output<'keydomain.status'>;
type File = Output<'keydomain.files'>[number];

/** One share to import: the file chosen, and its password or password shares (sent once, never kept). */
export interface ShareImportRequest {
  readonly path: string;
  readonly password?: string;
  readonly passwordShares?: { prime: string; shares: { id: number; value: string }[] };
  readonly expectedKcv?: string;
  readonly expectedShareKcv?: string;
}

/** What the step shows after an import: the domain complete, and its KCV against the one expected. */
export type ShareImportResult = { complete: boolean; kcv?: string; expectedKcv?: string } | undefined;

export function ImportShareStep({ tokenId, cardName, status, files, made, onImported, onPrint, importShare: importer, expectedKcv: fixedKcv, fileAction, noFilesText }: {
  tokenId: string;
  cardName: string;
  status: Status;
  files: readonly File[];
  made: readonly MadeShare[];
  onImported: () => void;
  onPrint: (share: { custodian: string; shareKcv: string; fileName: string; date: string }) => void;
  /** Who imports the share; by default the Key domain screen's keydomain.importShare into tokenId. */
  importShare?: (request: ShareImportRequest) => Promise<ShareImportResult>;
  /** The KCV the domain must come out with, when the caller knows it: shown, not asked for. */
  expectedKcv?: string;
  /** Beside the list of share files: another way to choose one (a file picker). */
  fileAction?: ReactNode;
  /** Below the list when it is empty. */
  noFilesText?: string;
}) {
  const [path, setPath] = useState('');
  const [mode, setMode] = useState<'password' | 'shares'>('password');
  const [password, setPassword] = useState('');
  const [expected, setExpected] = useState('');
  const [shareKcv, setShareKcv] = useState('');
  // Password shares are collected one holder at a time: each types theirs, which then leaves the screen.
  const [prime, setPrime] = useState('');
  const [shareId, setShareId] = useState('');
  const [shareValue, setShareValue] = useState('');
  const [collected, setCollected] = useState<{ id: number; value: string }[]>([]);
  const importShare = useAction(useCallback(async (p: string, secret: { password: string } | { passwordShares: { prime: string; shares: { id: number; value: string }[] } }, kcv: string, ownKcv: string): Promise<ShareImportResult> => {
    const request: ShareImportRequest = { path: p, ...secret, ...(kcv ? { expectedKcv: kcv } : {}), ...(ownKcv ? { expectedShareKcv: ownKcv } : {}) };
    const done = importer ? await importer(request) : await api.call('keydomain.importShare', { tokenId, ...request });
    onImported();
    return done;
  }, [tokenId, onImported, importer]));
  const custodianOf = (fileName: string): string => made.find((m) => m.fileName === fileName || m.path === fileName)?.custodian
    ?? /^dkek-share-(.+)-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}\.pbe$/.exec(fileName.split('/').pop() ?? '')?.[1] ?? 'custodian';
  const expectedOk = expected === '' || /^[0-9a-f]{16}$/.test(expected);
  const shareKcvOk = shareKcv === '' || /^[0-9a-f]{16}$/.test(shareKcv);
  const colonHex = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/;
  const primeOk = prime === '' || colonHex.test(prime);
  const idNumber = Number(shareId);
  const shareOk = /^\d{1,3}$/.test(shareId) && idNumber >= 1 && idNumber <= 255 && colonHex.test(shareValue) && !collected.some((c) => c.id === idNumber);
  const secretReady = mode === 'password' ? password !== '' : colonHex.test(prime) && collected.length >= 2;
  const clearShares = () => { setPrime(''); setShareId(''); setShareValue(''); setCollected([]); };
  const addShare = () => {
    if (!shareOk) return;
    setCollected((c) => [...c, { id: idNumber, value: shareValue.trim() }]);
    setShareId('');
    setShareValue('');
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (importShare.running || path === '' || !secretReady || !expectedOk || !shareKcvOk) return;
    const secret = mode === 'password' ? { password } : { passwordShares: { prime: prime.trim(), shares: collected } };
    setPassword('');
    clearShares();
    void importShare.run(path, secret, expected, shareKcv).then((r) => { if (r) { setPath(''); setShareKcv(''); } });
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
                <TableCell><time dateTime={s.time} title={s.time}>{localTime(s.time)}</time></TableCell>
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
          <Typography variant="body1">Custodian {status.importedShares + 1} of {status.totalShares}: choose your share file and open it{mode === 'password' ? ' with its password' : ' with the password shares of enough holders'}.</Typography>
          <TextField select label="Share file" value={path} onChange={(e) => setPath(e.target.value)} required
            helperText={files.length === 0 ? (noFilesText ?? 'No share file is in the data folder: make the shares first.') : ' '}>
            {files.map((f) => <MenuItem key={f.path} value={f.path}>{custodianOf(f.fileName)} — {f.fileName}</MenuItem>)}
          </TextField>
          {fileAction}
          <FormControl>
            <FormLabel id="share-open-mode">Open it with</FormLabel>
            <RadioGroup row aria-labelledby="share-open-mode" value={mode} onChange={(e) => { setMode(e.target.value as 'password' | 'shares'); setPassword(''); clearShares(); }}>
              <FormControlLabel value="password" control={<Radio />} label="Its password" />
              <FormControlLabel value="shares" control={<Radio />} label="Password shares of several holders" />
            </RadioGroup>
          </FormControl>
          {mode === 'password' ? (
            <TextField label="Share password" type="password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)} required
              helperText="Sent to the core once, to open the file; never shown or kept." />
          ) : (
            <Box sx={{ display: 'grid', gap: 1.5 }} role="group" aria-label="Password shares">
              <TextField label="Prime" value={prime} onChange={(e) => setPrime(e.target.value.trim())} required error={!primeOk}
                helperText={primeOk ? 'As every holder wrote it down: hex bytes separated by colons.' : 'Hex bytes separated by colons, like 0A:1B:2C.'}
                slotProps={{ htmlInput: { spellCheck: false, autoComplete: 'off' } }} />
              <Typography variant="body2" role="status" aria-live="polite">
                {collected.length === 0 ? 'No password share collected yet: each holder in turn types their share ID and value, then adds it.'
                  : `${collected.length} password share${collected.length === 1 ? '' : 's'} collected (share ID ${collected.map((c) => c.id).join(', ')}).${collected.length < 2 ? ' At least one more is needed.' : ''}`}
              </Typography>
              <Stack direction="row" spacing={2} sx={{ alignItems: 'flex-start' }}>
                <TextField label="Share ID" value={shareId} onChange={(e) => setShareId(e.target.value.trim())} sx={{ width: 120 }}
                  slotProps={{ htmlInput: { inputMode: 'numeric', maxLength: 3, autoComplete: 'off' } }} />
                <TextField label="Share value" type="password" value={shareValue} onChange={(e) => setShareValue(e.target.value.trim())} sx={{ flex: 1 }}
                  helperText="Hidden as you type; gone from the screen once added."
                  slotProps={{ htmlInput: { spellCheck: false, autoComplete: 'off' } }}
                  onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); addShare(); } }} />
                <Button variant="outlined" onClick={addShare} disabled={!shareOk} sx={{ mt: 1 }}>Add this share</Button>
              </Stack>
            </Box>
          )}
          <TextField label="Share KCV from your paper record (optional)" value={shareKcv} onChange={(e) => setShareKcv(e.target.value.replaceAll(':', '').trim().toLowerCase())}
            error={!shareKcvOk} helperText={shareKcvOk ? 'The file must open to this share, or nothing is imported.' : '16 hex digits.'}
            slotProps={{ htmlInput: { maxLength: 23, spellCheck: false } }} />
          {status.importedShares + 1 === status.totalShares && fixedKcv !== undefined && (
            <Typography variant="body2">Once this last share is in, the domain&apos;s KCV must be <Box component="span" sx={monoSx}>{fixedKcv}</Box>; another stops the step with KCV_MISMATCH.</Typography>
          )}
          {status.importedShares + 1 === status.totalShares && fixedKcv === undefined && (
            <TextField label="Expected domain KCV (optional)" value={expected} onChange={(e) => setExpected(e.target.value.trim().toLowerCase())}
              error={!expectedOk} helperText={expectedOk ? 'From the paper records of another card of this domain: checked once the last share is in.' : '16 hex digits.'}
              slotProps={{ htmlInput: { maxLength: 16, spellCheck: false } }} />
          )}
          <Box><Button type="submit" variant="contained" disabled={importShare.running || path === '' || !secretReady || !expectedOk || !shareKcvOk}>
            {importShare.running ? 'Importing…' : 'Import share'}
          </Button></Box>
        </Box>
      )}
      <WorkProgress running={importShare.running} label="Opening the share file" operation="keydomain.importShare" />
      <ErrorAlert error={importShare.error} />
    </Box>
  );
}
