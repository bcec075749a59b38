/**
 * Issuing a CRL: preview first (its number, this and next update, every entry
 * with its reason in words a page at a time, the TBS SHA-256), showing the
 * core's progress, with Cancel, while the revocations of a large CA are read;
 * then confirm; the core signs exactly the previewed CRL or refuses. A CA
 * whose key is on no open token says so in its preview, and the issue button
 * stays off.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { FindingsList, hasBlockingFinding } from '../../components/FindingsList.tsx';
import { WorkProgress } from '../../components/WorkProgress.tsx';
import { useCatalog } from '../../db/CatalogProvider.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { monoSx } from '../../theme.ts';
import { CrlEntriesTable } from './CrlEntriesTable.tsx';

export function CrlIssueForm({ caId }: { caId: string }) {
  const { sync } = useCatalog();
  const [nextUpdateDays, setNextUpdateDays] = useState('');
  const [confirming, setConfirming] = useState(false);
  const preview = useAction(useCallback(async (id: string, days: string) => api.call('crl.preview', { caId: id, ...(days ? { nextUpdateDays: Number(days) } : {}) }), []));
  const issue = useAction(useCallback(async (id: string, days: string, tbsSha256: string) => {
    const crl = await api.call('crl.issue', { caId: id, tbsSha256, ...(days ? { nextUpdateDays: Number(days) } : {}) });
    await sync();
    return crl;
  }, [sync]));
  const { reset } = preview;
  // Leaving the form (another CA, another screen) stops its preview, which nobody is left to review; stopping it is
  // safe, and the next preview need not wait for it (one CRL preview runs at a time).
  const previewing = useRef(false);
  useEffect(() => { previewing.current = preview.running; }, [preview.running]);
  useEffect(() => () => {
    if (previewing.current) api.call('work.cancel', { operation: 'crl.preview' }).catch(() => undefined);
  }, []);
  // A preview is of one CA and one period: any change makes it stale.
  useEffect(() => { reset(); }, [caId, nextUpdateDays, reset]);
  const shown = preview.result;
  const canIssue = shown !== undefined && !hasBlockingFinding(shown.findings) && !issue.running;
  const confirm = () => {
    setConfirming(false);
    if (shown) void issue.run(caId, nextUpdateDays, shown.tbsSha256).then((r) => { if (r) reset(); });
  };
  return (
    <Box>
      <Stack direction="row" spacing={2} component="form" aria-label="Preview a CRL" onSubmit={(e) => { e.preventDefault(); void preview.run(caId, nextUpdateDays); }} sx={{ alignItems: 'flex-start' }}>
        <TextField size="small" type="number" label="Next update in (days)" sx={{ minWidth: 220 }} value={nextUpdateDays} onChange={(e) => setNextUpdateDays(e.target.value)} helperText="Empty: the CA's policy or the default" slotProps={{ htmlInput: { min: 1, max: 3650 } }} />
        <Button type="submit" variant="outlined" disabled={preview.running}>Preview CRL</Button>
      </Stack>
      <WorkProgress running={preview.running} label="Previewing the CRL" operation="crl.preview" />
      <ErrorAlert error={preview.error} />
      {shown && (
        <Box component="section" aria-label="Preview of the CRL" sx={{ mt: 2 }}>
          <Typography variant="h3" component="h3" sx={{ mb: 1 }}>The CRL that will be signed</Typography>
          <Typography variant="body2">CRL number {shown.crlNumber}</Typography>
          <Typography variant="body2">This update {shown.thisUpdate}; next update {shown.nextUpdate}{shown.clipped ? ' (cut back to the CA certificate’s end)' : ''}</Typography>
          <Typography variant="body2" sx={{ mb: 1 }}>TBS SHA-256: <Box component="span" sx={monoSx}>{shown.tbsSha256}</Box></Typography>
          {shown.entries.length === 0 ? <Typography variant="body2">No certificate is revoked: the CRL lists none.</Typography> : <CrlEntriesTable entries={shown.entries} />}
          <Box sx={{ mt: 1 }}><FindingsList findings={shown.findings} /></Box>
          <Button sx={{ mt: 2 }} variant="contained" disabled={!canIssue} onClick={() => setConfirming(true)}>{issue.running ? 'Issuing…' : 'Issue this CRL…'}</Button>
        </Box>
      )}
      <Dialog open={confirming && shown !== undefined} onClose={() => setConfirming(false)} aria-labelledby="crl-confirm-title">
        <DialogTitle id="crl-confirm-title">Sign CRL number {shown?.crlNumber}?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            The token signs this CRL with {(shown?.entries.length ?? 0).toLocaleString('en')} {shown?.entries.length === 1 ? 'entry' : 'entries'}, valid until {shown?.nextUpdate}.
            Its TBS SHA-256 is <Box component="span" sx={monoSx}>{shown?.tbsSha256}</Box>.
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirming(false)}>Cancel</Button>
          <Button variant="contained" onClick={confirm} autoFocus>Sign CRL</Button>
        </DialogActions>
      </Dialog>
      <WorkProgress running={issue.running} label="Issuing the CRL" operation="crl.issue" />
      <ErrorAlert error={issue.error} />
      {issue.result && <Alert severity="success" role="status" sx={{ mt: 1 }}>Issued CRL number {issue.result.crlNumber} with {issue.result.entries} entries.</Alert>}
    </Box>
  );
}
