/**
 * Exactly what will be signed, as people read it: warnings first, the TBS
 * hash in groups to read aloud, what the request asked for beside what will
 * be issued, the certificate in words; the raw tree behind "Details".
 */
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { Output } from '../../../main/api/contract.ts';
import { DescriptionView } from '../DescriptionView.tsx';
import { AskedIssued } from './AskedIssued.tsx';
import { CertificateReview } from './CertificateReview.tsx';
import { DetailsToggle } from './DetailsToggle.tsx';
import { HashGroups } from './HashGroups.tsx';
import { ReviewWarnings } from './ReviewWarnings.tsx';

export function SigningReview({ preview }: { preview: Output<'ca.previewRoot'> }) {
  return (
    <Box data-testid="signing-review" sx={{ minWidth: 0 }}>
      {preview.review && <ReviewWarnings warnings={preview.review.warnings} />}
      <Typography variant="body1" sx={{ mb: 1.5 }}>
        Read aloud, TBS SHA-256: <HashGroups hex={preview.tbsSha256} />
      </Typography>
      {preview.review && (
        <Box sx={{ mb: 2 }}>
          <Typography variant="h3" component="h4" sx={{ mb: 1 }}>Asked for and issued</Typography>
          <AskedIssued rows={preview.review.rows} />
        </Box>
      )}
      {preview.readable && <CertificateReview readable={preview.readable} label="The certificate to be signed" />}
      <DetailsToggle defaultOpen={!preview.readable}>
        <DescriptionView value={preview.preview} label="To be signed" />
      </DetailsToggle>
    </Box>
  );
}
