/**
 * One certificate as people read it: whether it is valid or revoked (since
 * when, why), its fingerprint to read aloud, then its fields in words; the
 * exports; the raw tree and PEM behind "Details".
 */
import Alert from '@mui/material/Alert';
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
import { CertificateReview } from '../../components/review/CertificateReview.tsx';
import { DetailsToggle } from '../../components/review/DetailsToggle.tsx';
import { HashGroups } from '../../components/review/HashGroups.tsx';
import { localTime, reasonWords } from '../../components/review/words.ts';
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
    <Box sx={{ minWidth: 0 }}>
      <ErrorAlert error={detail.error} />
      {s && (
        <Stack spacing={1} sx={{ mb: 2 }}>
          <Typography variant="h3" component="h3" sx={{ overflowWrap: 'anywhere' }}>{visibleText(s.subject)}<VirtualChip show={s.virtual} /></Typography>
          {s.status === 'revoked'
            ? <Alert severity="error" data-testid="certificate-status">Revoked{s.revokedAt ? ` since ${localTime(s.revokedAt)}` : ''}: {reasonWords(s.reason)}</Alert>
            : <Alert severity="success" data-testid="certificate-status">Not revoked: no revocation of this certificate is recorded in the journal.</Alert>}
          <Typography variant="body2">Certificate fingerprint (SHA-256): <HashGroups hex={s.sha256} /></Typography>
        </Stack>
      )}
      {destinationControl}
      <Stack direction="row" sx={{ mb: 1, flexWrap: 'wrap', gap: 1 }}>
        {FORMATS.map((f) => <Button key={f.format} variant="outlined" onClick={() => void exporter.run(f.format)} disabled={exporter.running || !s}>{f.title}</Button>)}
      </Stack>
      <ErrorAlert error={exporter.error} />
      <ExportResultView result={exporter.result} />
      {detail.data?.readable && <CertificateReview readable={detail.data.readable} label="Certificate fields" />}
      {detail.data && (
        <DetailsToggle defaultOpen={!detail.data.readable}>
          <DescriptionView value={detail.data.description} label="Certificate fields and extensions" />
          <Box component="pre" sx={{ ...monoSx, whiteSpace: 'pre-wrap', fontSize: '0.75rem', mt: 1 }}>{detail.data.pem}</Box>
        </DetailsToggle>
      )}
    </Box>
  );
}
