/** One CV certificate: its body, its chain, and exports (the certificate, its chain as a folder or one file). */
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useCallback } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { useCall } from '../../hooks/useCall.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { monoSx } from '../../theme.ts';
import { CvcBodyView } from './CvcBodyView.tsx';

export function CertificateDetail({ id }: { id: string }) {
  const detail = useCall('cvc.certificate', { id });
  const exportIt = useAction(useCallback(async (what: 'certificate' | 'chain', form?: 'folder' | 'concatenation') =>
    api.call('cvc.export', { what, id, ...(form ? { form } : {}) }), [id]));
  return (
    <>
      <ErrorAlert error={detail.error} />
      {detail.data && (
        <>
          <CvcBodyView body={detail.data.body} label="CV certificate" />
          <Typography variant="body2" sx={{ mt: 1 }}>Chain: {detail.data.chain.map(visibleText).join(' → ')}</Typography>
          <Typography variant="caption" component="p" sx={monoSx}>SHA-256 {detail.data.summary.id}</Typography>
          <Stack direction="row" spacing={2} sx={{ mt: 2 }}>
            <Button variant="outlined" onClick={() => void exportIt.run('certificate')}>Export .cvcert</Button>
            <Button variant="outlined" onClick={() => void exportIt.run('chain', 'folder')}>Export chain (folder)</Button>
            <Button variant="outlined" onClick={() => void exportIt.run('chain', 'concatenation')}>Export chain (one file)</Button>
          </Stack>
          <ErrorAlert error={exportIt.error} />
          {exportIt.result && <Typography role="status" sx={{ mt: 1 }}>Written: {exportIt.result.files.map(visibleText).join(', ')}</Typography>}
        </>
      )}
    </>
  );
}
