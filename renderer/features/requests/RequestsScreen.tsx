import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import { visuallyHidden } from '@mui/utils';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Page, Section } from '../../components/Page.tsx';
import { useRequests } from '../../db/hooks.ts';
import { describeKeySpec } from '../tokens/keySpecs.ts';
import { ImportRequests } from './ImportRequests.tsx';
import { SignRequest } from './SignRequest.tsx';
import { SignPending } from './SignPending.tsx';
import { visibleText } from '../../../main/api/visible-text.ts';

export function RequestsScreen() {
  const requests = useRequests();
  const [selected, setSelected] = useState<string>();
  const onImported = useCallback((ids: string[]) => { if (ids[0]) setSelected(ids[0]); }, []);
  const chosen = requests.find((r) => r.id === selected);
  const pending = useMemo(() => requests.filter((r) => r.status === 'pending'), [requests]);
  // Once shown, the batch stays: its outcome is read after it has signed the pending requests away.
  const [batchShown, setBatchShown] = useState(false);
  useEffect(() => { if (pending.length > 1) setBatchShown(true); }, [pending.length]);
  return (
    <Page title="Requests">
      <Section title="Import certificate signing requests">
        <ImportRequests onImported={onImported} />
      </Section>
      <Section title="Requests">
        {requests.length === 0 ? <Typography variant="body2">No request imported yet.</Typography> : (
          // Fixed columns that wrap: a long subject or file name never widens the page (at 1024 px it spilled to 1,125).
          <Table size="small" aria-label="Requests" sx={{ tableLayout: 'fixed', width: '100%', '& td, & th': { overflowWrap: 'anywhere', verticalAlign: 'top' } }}>
            <TableHead>
              <TableRow>
                <TableCell sx={{ width: '34%' }}>Subject and file</TableCell>
                <TableCell sx={{ width: '14%' }}>Key</TableCell>
                <TableCell>Names</TableCell>
                <TableCell sx={{ width: '11%' }}>Status</TableCell>
                <TableCell sx={{ width: '5.5rem' }}><Box component="span" sx={visuallyHidden}>Open</Box></TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {requests.map((r) => (
                <TableRow key={r.id} selected={r.id === selected}>
                  <TableCell>
                    <div>{visibleText(r.subject)}</div>
                    <Typography variant="caption" component="div" sx={{ color: 'text.secondary' }}>{visibleText(r.fileName)}</Typography>
                  </TableCell>
                  <TableCell>{describeKeySpec(r.keySpec)}</TableCell>
                  <TableCell>{r.sans.map(visibleText).join(', ')}</TableCell>
                  <TableCell>{r.status}</TableCell>
                  <TableCell><Button size="small" onClick={() => setSelected(r.id)} aria-label={`Open request ${visibleText(r.subject)}`}>Open</Button></TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Section>
      {batchShown && (
        <Section title="Sign several pending requests">
          <SignPending pending={pending} />
        </Section>
      )}
      {chosen && (
        <Section title={`Request ${visibleText(chosen.subject)}`}>
          <SignRequest key={chosen.id} requestId={chosen.id} />
        </Section>
      )}
    </Page>
  );
}
