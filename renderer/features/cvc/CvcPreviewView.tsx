/** What will be signed: the body in words, its SHA-256, and what the lint found. */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { z } from 'zod';
import type { CvcPreview } from '../../../main/api/cvc-contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { HashGroups } from '../../components/review/HashGroups.tsx';
import { CvcBodyView } from './CvcBodyView.tsx';

export function CvcPreviewView({ preview }: { preview: z.output<typeof CvcPreview> }) {
  return (
    <Box sx={{ mt: 2 }} aria-label="Preview of the CV certificate" role="region">
      <Typography variant="h3" component="h3" sx={{ mb: 1 }}>To be signed by {visibleText(preview.issuerChr)}</Typography>
      <CvcBodyView body={preview.body} label="Certificate to be signed" />
      <Typography variant="body2" sx={{ mt: 1 }}>Body SHA-256 (exactly this body is signed), in groups to read aloud:</Typography>
      {/* Grouped as the X.509 TBS hash is, so custodians read it aloud the same way and compare it with the CLI's. */}
      <Typography variant="body2" data-testid="cvc-body-sha256"><HashGroups hex={preview.bodySha256} /></Typography>
      {preview.findings.map((f) => (
        <Alert key={`${f.check}:${f.message}`} severity="error" sx={{ mt: 1 }}><strong>{f.check}</strong>: {visibleText(f.message)}</Alert>
      ))}
      {preview.findings.length === 0 && <Alert severity="success" sx={{ mt: 1 }}>Lint passed: CAR, dates, CHAT, role, key and OID, holder reference.</Alert>}
    </Box>
  );
}
