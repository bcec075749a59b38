import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { visuallyHidden } from '@mui/utils';
import { useState } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { DescriptionView } from '../../components/DescriptionView.tsx';
import { Page, Section } from '../../components/Page.tsx';
import { VirtualChip } from '../../components/VirtualChip.tsx';
import { useCas } from '../../db/hooks.ts';
import { useCall } from '../../hooks/useCall.ts';
import { monoSx } from '../../theme.ts';
import { describeKeySpec } from '../tokens/keySpecs.ts';
import { CreateRootForm } from './CreateRootForm.tsx';
import { RecoveredCaMark, RecoveredCaNote } from './RecoveredCaNote.tsx';

function CaChain({ caId }: { caId: string }) {
  const chain = useCall('ca.chain', { caId });
  return (
    <Box sx={{ mt: 2 }}>
      <ErrorAlert error={chain.error} />
      {chain.data?.certificates.map((c, i) => (
        <Box key={c.summary.sha256} component="section" aria-label={`Chain certificate ${i + 1}`} sx={{ mb: 2 }}>
          <Typography variant="h3" component="h3">{i === 0 ? 'CA certificate' : `Issuer ${i}`}: {c.summary.subject}</Typography>
          <DescriptionView value={c.description} />
        </Box>
      ))}
    </Box>
  );
}

export function CaScreen() {
  const cas = useCas();
  const [selected, setSelected] = useState<string>();
  const ca = cas.find((c) => c.id === selected);
  return (
    <Page title="Certificate authorities">
      <Section title="CAs">
        {cas.length === 0 ? <Typography variant="body2">No CA yet.</Typography> : (
          <Table size="small" aria-label="Certificate authorities">
            <TableHead><TableRow>
              <TableCell>Name</TableCell><TableCell>Subject</TableCell><TableCell>Kind</TableCell><TableCell>Key</TableCell>
              <TableCell>Valid until</TableCell><TableCell>Issued / revoked</TableCell><TableCell><Box component="span" sx={visuallyHidden}>Actions</Box></TableCell>
            </TableRow></TableHead>
            <TableBody>
              {cas.map((c) => (
                <TableRow key={c.id} selected={c.id === selected}>
                  <TableCell>{c.name}<VirtualChip show={c.token?.virtual ?? false} /><RecoveredCaMark ca={c} /></TableCell>
                  <TableCell>{c.subject}</TableCell>
                  <TableCell>{c.kind}</TableCell>
                  <TableCell>{describeKeySpec(c.keySpec)}{c.token ? ` on ${c.token.label}` : ""}</TableCell>
                  <TableCell>{c.notAfter.slice(0, 10)}</TableCell>
                  <TableCell>{c.issuedCount} / {c.revokedCount}</TableCell>
                  <TableCell><Button size="small" onClick={() => setSelected(c.id === selected ? undefined : c.id)} aria-expanded={c.id === selected}>{c.id === selected ? 'Hide details' : 'Details and chain'}</Button></TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Section>
      {ca && (
        <Section title={`${ca.name}: details and chain`}>
          <RecoveredCaNote ca={ca} />
          <Stack spacing={0.5}>
            <Typography variant="body2">Certificate SHA-256: <Box component="span" sx={monoSx}>{ca.id}</Box></Typography>
            <Typography variant="body2">Key SPKI SHA-256: <Box component="span" sx={monoSx}>{ca.keySpkiSha256}</Box></Typography>
            <Typography variant="body2">Valid {ca.notBefore} to {ca.notAfter}; last CRL number {ca.lastCrlNumber ?? '(none)'}</Typography>
          </Stack>
          <CaChain caId={ca.id} />
        </Section>
      )}
      <Section title="Create a root CA">
        <CreateRootForm />
      </Section>
    </Page>
  );
}
