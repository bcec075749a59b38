/** Exactly what will be signed: the core's decoded TBS, its lint findings, and what was dropped. */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { Output } from '../../../main/api/contract.ts';
import { SigningReview } from '../../components/review/SigningReview.tsx';
import { FindingsList } from '../../components/FindingsList.tsx';
import { monoSx } from '../../theme.ts';

export function PreviewView({ preview }: { preview: Output<'ca.previewRoot'> }) {
  return (
    <Box component="section" aria-label="Preview of what will be signed" sx={{ mt: 2 }}>
      <Typography variant="h3" component="h3" sx={{ mb: 1 }}>What will be signed</Typography>
      <Typography variant="body2" sx={{ mb: 1 }}>TBS SHA-256: <Box component="span" sx={monoSx}>{preview.tbsSha256}</Box></Typography>
      <SigningReview preview={preview} />
      {preview.droppedRequestExtensions.length > 0 && (
        <Alert severity="info" sx={{ mt: 1 }}>Request extensions not copied: {preview.droppedRequestExtensions.join(', ')}</Alert>
      )}
      <Typography variant="h3" component="h3" sx={{ mt: 2, mb: 1 }}>Findings</Typography>
      <FindingsList findings={preview.findings} />
    </Box>
  );
}
