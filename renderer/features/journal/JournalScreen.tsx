/**
 * The journal as recorded, and whether its hash chain still holds. The state is
 * shown in words a witness can read aloud: intact with N entries, or which
 * entry was altered or removed.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Page, Section } from '../../components/Page.tsx';
import { VirtualChip } from '../../components/VirtualChip.tsx';
import { localTime } from '../../components/review/words.ts';
import { useCatalog } from '../../db/CatalogProvider.tsx';
import { useJournalEvents } from '../../db/hooks.ts';
import { useCall } from '../../hooks/useCall.ts';
import { monoSx } from '../../theme.ts';
import type { Output } from '../../../main/api/contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { JournalExport } from './JournalExport.tsx';
import { CeremonyTranscripts } from '../transcript/CeremonyTranscripts.tsx';

export const JOURNAL_ROWS_SHOWN = 500;

function ChainState({ result }: { result: Output<'journal.verify'> }) {
  return (
    <Stack spacing={1} data-testid="journal-state">
      {result.ok
        ? <Alert severity="success" variant="filled">Chain intact, {result.entries} {result.entries === 1 ? 'entry' : 'entries'}</Alert>
        : result.code === 'JOURNAL_UNANCHORED'
          // A cut-off act and stripped checkpoints look the same: a person reads the entries, then signs a checkpoint.
          ? <Alert severity="warning" variant="filled">Entry #{result.firstBadSeq ?? '?'} lies under no signed checkpoint{result.reason ? `: ${result.reason}` : ''}</Alert>
          : <Alert severity="error" variant="filled">Entry #{result.firstBadSeq ?? '?'} was altered or removed{result.reason ? `: ${result.reason}` : ''}</Alert>}
      {result.checkpoints !== undefined && (
        <Typography variant="body2">
          {result.checkpoints} signed checkpoint{result.checkpoints === 1 ? '' : 's'}; {result.unanchored ?? 0} {result.unanchored === 1 ? 'entry' : 'entries'} not yet under a signed checkpoint.
        </Typography>
      )}
      {result.head && (
        <Typography variant="body2">
          Journal head (write it down: <Box component="span" sx={{ fontFamily: monoSx.fontFamily }}>custos journal verify --head</Box> checks the journal still reaches it):{' '}
          <Box component="span" sx={monoSx}>{result.head}</Box>
        </Typography>
      )}
      {result.pendingIntents.length > 0 && (
        <Alert severity="warning">
          {result.pendingIntents.length} intent{result.pendingIntents.length === 1 ? '' : 's'} without a recorded result: {result.pendingIntents.map((p) => `#${p.seq} ${p.kind}`).join(', ')}
        </Alert>
      )}
      {result.tornTail && (
        <Alert severity="warning" data-testid="journal-torn-tail">
          The journal's last line was cut short by a crash or power loss: its {result.tornTail.bytes} bytes were set aside in {result.tornTail.sideFile} and the journal goes on from the entry before it.
        </Alert>
      )}
      {result.recovered && result.recovered.length > 0 && (
        <Alert severity="info">
          Recorded at start, kept from an earlier run that could not record them: {result.recovered.map((r) => `#${r.seq} ${r.kind}${r.intent !== undefined ? ` (of #${r.intent})` : ''}`).join(', ')}
        </Alert>
      )}
    </Stack>
  );
}

export function JournalScreen() {
  const verify = useCall('journal.verify', undefined);
  const { latest: events, total } = useJournalEvents(JOURNAL_ROWS_SHOWN);
  const { rebuild, syncing, error } = useCatalog();
  // The entry verification stopped at is marked in the list, so a witness finds it without counting rows.
  const badSeq = verify.data && !verify.data.ok ? verify.data.firstBadSeq : undefined;
  const badKind = verify.data?.code === 'JOURNAL_UNANCHORED' ? 'unanchored' : 'tampered';
  return (
    <Page title="Journal" actions={
      <Stack direction="row" spacing={1}>
        <Button variant="outlined" onClick={verify.reload} disabled={verify.loading}>Verify again</Button>
        <Button variant="outlined" onClick={() => void rebuild()} disabled={syncing}>Rebuild catalog from journal</Button>
      </Stack>
    }>
      <Box sx={{ mb: 2 }}>
        {verify.loading && !verify.data && <Typography role="status">Verifying the hash chain…</Typography>}
        {verify.data && <ChainState result={verify.data} />}
        <ErrorAlert error={verify.error ?? error} />
      </Box>
      <Section title="Export the journal"><JournalExport /></Section>
      <CeremonyTranscripts />
      <Section title="Entries">
        <Typography variant="body2" sx={{ mb: 1 }}>Times are shown in this computer's time zone; the journal records them in UTC.</Typography>
        {/* Fixed columns: the summary wraps and the hash column stays in view at 1024 px. */}
        <Table size="small" aria-label="Journal entries" sx={{ tableLayout: 'fixed', width: '100%', '& td, & th': { overflowWrap: 'anywhere', verticalAlign: 'top' } }}>
          <TableHead>
            <TableRow>
              <TableCell sx={{ width: '3.5rem' }}>#</TableCell>
              <TableCell sx={{ width: '11rem' }}>Time</TableCell>
              <TableCell>What</TableCell>
              <TableCell sx={{ width: '7rem' }}>Operator</TableCell>
              <TableCell sx={{ width: '9.5rem' }}>Hash</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {events.map((e) => {
              const bad = badSeq === e.seq;
              return (
                <TableRow key={e.seq} data-seq={e.seq} data-bad={bad ? badKind : undefined} selected={bad}
                  sx={bad ? { outline: 2, outlineStyle: 'solid', outlineColor: badKind === 'unanchored' ? 'warning.main' : 'error.main', outlineOffset: -2 } : undefined}>
                  <TableCell>{e.seq}</TableCell>
                  <TableCell><time dateTime={e.time} title={e.time}>{localTime(e.time)}</time></TableCell>
                  <TableCell>
                    {bad && <Chip size="small" color={badKind === 'unanchored' ? 'warning' : 'error'} label={badKind === 'unanchored' ? 'Under no checkpoint' : 'Altered or removed'} sx={{ mr: 1, fontWeight: 700 }} />}
                    <Box component="span" sx={{ fontWeight: 600 }}>{visibleText(e.kind)}</Box>{e.token && <VirtualChip show={e.token.virtual} />}
                    <div>{visibleText(e.summary)}</div>
                  </TableCell>
                  <TableCell>{visibleText(e.operator)}</TableCell>
                  <TableCell sx={monoSx} title={e.hash}>{e.hash.slice(0, 12)}…</TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
        {total > events.length && <Typography variant="body2" sx={{ mt: 1 }}>Showing the latest {events.length} of {total} entries.</Typography>}
      </Section>
    </Page>
  );
}
