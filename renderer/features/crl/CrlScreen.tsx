import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { ExportResultView } from '../../components/ExportResultView.tsx';
import { Page, Section } from '../../components/Page.tsx';
import { useCall } from '../../hooks/useCall.ts';
import { useCas, useCrls } from '../../db/hooks.ts';
import { useAction } from '../../hooks/useAction.ts';
import { monoSx } from '../../theme.ts';
import { RevokeForm } from './RevokeForm.tsx';
import { directoryOf, useExportDestination } from '../../components/ExportDestination.tsx';
import { CrlIssueForm } from './CrlIssueForm.tsx';
import { defaultSigningCa } from '../ca/default-ca.ts';

export function CrlScreen() {
  const cas = useCas();
  const crls = useCrls();
  // The default CA is one whose key is on an open token: a CRL can be signed for it now.
  const live = useCall('ca.list', undefined);
  const [caId, setCaId] = useState('');
  useEffect(() => {
    if (caId) return;
    const chosen = defaultSigningCa(cas, live.data, live.error !== undefined);
    if (chosen) setCaId(chosen);
  }, [cas, caId, live.data, live.error]);
  const { destination, control: destinationControl } = useExportDestination();
  const directory = directoryOf(destination);
  const exporter = useAction(useCallback(async (crlCaId: string, crlNumber: string, format: 'der' | 'pem') =>
    api.call('crl.export', { caId: crlCaId, crlNumber, format, ...(directory ? { directory } : {}) }), [directory]));
  const nameOf = (id: string) => cas.find((c) => c.id === id)?.name ?? id.slice(0, 12);
  return (
    <Page title="Revocation and CRLs">
      <Box sx={{ mb: 2, maxWidth: 640 }}>
        <TextField select fullWidth size="small" label="Certificate authority" value={caId} onChange={(e) => setCaId(e.target.value)}>
          {cas.map((c) => <MenuItem key={c.id} value={c.id}>{c.name}{live.data?.find((l) => l.id === c.id)?.keyOnOpenToken === false ? ' (key on no open token)' : ''}</MenuItem>)}
        </TextField>
      </Box>
      {cas.length === 0 && <Typography variant="body2" sx={{ mb: 2 }}>No CA yet.</Typography>}
      {caId && (
        <>
          <Section title="Revoke a certificate"><RevokeForm key={caId} caId={caId} /></Section>
          <Section title="Issue a CRL"><CrlIssueForm key={caId} caId={caId} /></Section>
        </>
      )}
      <Section title="CRLs">
        {crls.length > 0 && destinationControl}
        {crls.length === 0 ? <Typography variant="body2">No CRL issued yet.</Typography> : (
          <Table size="small" aria-label="CRLs">
            <TableHead><TableRow><TableCell>CA</TableCell><TableCell>Number</TableCell><TableCell>This update</TableCell><TableCell>Next update</TableCell><TableCell>Entries</TableCell><TableCell>SHA-256</TableCell><TableCell>Export</TableCell></TableRow></TableHead>
            <TableBody>
              {crls.map((c) => (
                <TableRow key={`${c.caId}/${c.crlNumber}`}>
                  <TableCell>{nameOf(c.caId)}</TableCell>
                  <TableCell>
                    {c.crlNumber}
                    {/* Its done entry was never written: the kept bytes were checked against the intent and recorded at the next start. */}
                    {c.recovered && <Typography component="div" variant="caption" title="The token signed this CRL just before a run ended; it was recorded from the kept bytes at the next start.">recorded after an interruption</Typography>}
                  </TableCell>
                  <TableCell>{c.thisUpdate}</TableCell>
                  <TableCell>{c.nextUpdate}</TableCell>
                  <TableCell>{c.entries}</TableCell>
                  <TableCell sx={monoSx}>{c.sha256.slice(0, 16)}…</TableCell>
                  <TableCell>
                    <Stack direction="row" spacing={1}>
                      <Button size="small" onClick={() => void exporter.run(c.caId, c.crlNumber, 'der')} disabled={exporter.running} aria-label={`Export CRL ${c.crlNumber} as DER`}>DER</Button>
                      <Button size="small" onClick={() => void exporter.run(c.caId, c.crlNumber, 'pem')} disabled={exporter.running} aria-label={`Export CRL ${c.crlNumber} as PEM`}>PEM</Button>
                    </Stack>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
        <ErrorAlert error={exporter.error} />
        <ExportResultView result={exporter.result} />
      </Section>
    </Page>
  );
}
