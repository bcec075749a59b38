import Box from '@mui/material/Box';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useDeferredValue, useState } from 'react';
import { Page, Section } from '../../components/Page.tsx';
import { useCertificateSearch } from '../../db/hooks.ts';
import { CertificateDetail } from './CertificateDetail.tsx';
import { CertificateList } from './CertificateList.tsx';

export function CertificatesScreen() {
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const result = useCertificateSearch(deferred);
  const [selected, setSelected] = useState<{ caId: string; serialHex: string }>();
  const rows = result?.rows ?? [];
  return (
    <Page title="Certificates">
      <Box sx={{ display: 'grid', gridTemplateColumns: { xs: 'minmax(0, 1fr)', lg: '420px minmax(0, 1fr)' }, gap: 2 }}>
        <Section title="Issued certificates">
          <TextField fullWidth size="small" type="search" label="Search certificates" helperText="Subject words, serial or SHA-256 fingerprint (prefix)" value={query} onChange={(e) => setQuery(e.target.value)} sx={{ mb: 1 }} />
          <Typography variant="body2" role="status" data-testid="certificate-count" sx={{ mb: 1 }}>
            {result === undefined ? 'Searching…' : `${rows.length}${result.truncated ? '+' : ''} certificate${rows.length === 1 ? '' : 's'}${result.truncated ? ': narrow the search to see the rest' : ''}`}
          </Typography>
          <CertificateList rows={rows} selectedKey={selected ? `${selected.caId}/${selected.serialHex}` : undefined} onSelect={(r) => setSelected({ caId: r.caId, serialHex: r.serialHex })} />
        </Section>
        <Section title="Certificate">
          {selected ? <CertificateDetail key={`${selected.caId}/${selected.serialHex}`} caId={selected.caId} serialHex={selected.serialHex} /> : <Typography variant="body2">Choose a certificate in the list.</Typography>}
        </Section>
      </Box>
    </Page>
  );
}
