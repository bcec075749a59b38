import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useCallback } from 'react';
import { api } from '../../api.ts';
import { DescriptionView } from '../../components/DescriptionView.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { ExportResultView } from '../../components/ExportResultView.tsx';
import { directoryOf, useExportDestination } from '../../components/ExportDestination.tsx';
import { VirtualChip } from '../../components/VirtualChip.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { useCall } from '../../hooks/useCall.ts';
import { monoSx } from '../../theme.ts';
import { visibleText } from '../../../main/api/visible-text.ts';

const FORMATS = [
  { format: 'der', title: 'Export DER' },
  { format: 'pem', title: 'Export PEM' },
  { format: 'p7b', title: 'Export P7B (with chain)' },
] as const;

export function CertificateDetail({ caId, serialHex }: { caId: string; serialHex: string }) {
  const detail = useCall('certificate.get', { caId, serialHex });
  const { destination, control: destinationControl } = useExportDestination();
  const directory = directoryOf(destination);
  const exporter = useAction(useCallback(async (format: 'der' | 'pem' | 'p7b') => api.call('certificate.export', { caId, serialHex, format, ...(directory ? { directory } : {}) }), [caId, serialHex, directory]));
  const s = detail.data?.summary;
  return (
    <Box>
      <ErrorAlert error={detail.error} />
      {s && (
        <Stack spacing={0.5} sx={{ mb: 2 }}>
          <Typography variant="h3" component="h3">{visibleText(s.subject)}<VirtualChip show={s.virtual} /></Typography>
          <Typography variant="body2">Status: <strong>{s.status}</strong>{s.revokedAt ? ` since ${s.revokedAt} (${s.reason ?? 'unspecified'})` : ''}</Typography>
          <Typography variant="body2">SHA-256: <Box component="span" sx={monoSx}>{s.sha256}</Box></Typography>
        </Stack>
      )}
      {destinationControl}
      <Stack direction="row" spacing={1} sx={{ mb: 1 }}>
        {FORMATS.map((f) => <Button key={f.format} variant="outlined" onClick={() => void exporter.run(f.format)} disabled={exporter.running || !s}>{f.title}</Button>)}
      </Stack>
      <ErrorAlert error={exporter.error} />
      <ExportResultView result={exporter.result} />
      {detail.data && <DescriptionView value={detail.data.description} label="Certificate fields and extensions" />}
    </Box>
  );
}
