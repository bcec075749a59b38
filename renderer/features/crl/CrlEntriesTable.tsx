/**
 * The entries of a CRL preview, a page at a time: a CA with tens of
 * thousands of revocations lists them all, and drawing every row at once
 * froze the window. The count, a filter by serial, the reason in words;
 * pages of 50, 100 or 500 moved with the pagination's buttons (Tab, Enter).
 */
import Box from '@mui/material/Box';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TablePagination from '@mui/material/TablePagination';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useDeferredValue, useMemo, useRef, useState } from 'react';
import type { z } from 'zod';
import type { CrlPreview } from '../../../main/api/contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { monoSx } from '../../theme.ts';
import { entriesMatching, serialFilterOf } from './serial-filter.ts';

export type CrlEntry = z.output<typeof CrlPreview>['entries'][number];

export const ENTRIES_PER_PAGE = [50, 100, 500] as const;

const count = (n: number): string => n.toLocaleString('en');

/** The revocation time as a custodian reads it aloud: date and time to the second, in UTC as the CRL has it. */
const revokedAt = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

export function CrlEntriesTable({ entries }: { entries: readonly CrlEntry[] }) {
  const [typed, setTyped] = useState('');
  const [page, setPage] = useState(0);
  const [perPage, setPerPage] = useState<number>(ENTRIES_PER_PAGE[0]);
  // The filter runs over every entry: typing stays responsive while the list catches up.
  const deferred = useDeferredValue(typed);
  const shown = useMemo(() => entriesMatching(entries, deferred), [entries, deferred]);
  const filtered = serialFilterOf(deferred) !== '';
  const lastPage = Math.max(0, Math.ceil(shown.length / perPage) - 1);
  const at = Math.min(page, lastPage);
  const rows = shown.slice(at * perPage, (at + 1) * perPage);
  const invalid = serialFilterOf(typed) === undefined;
  const scroller = useRef<HTMLDivElement>(null);
  const turnTo = (next: number): void => {
    setPage(next);
    if (scroller.current) scroller.current.scrollTop = 0;
  };
  return (
    <Box>
      <Box sx={{ display: 'flex', flexWrap: 'wrap', alignItems: 'flex-start', columnGap: 2, rowGap: 1, mb: 1 }}>
        <TextField size="small" type="search" label="Filter by serial" value={typed} sx={{ minWidth: 280 }}
          onChange={(e) => { setTyped(e.target.value); setPage(0); }}
          error={invalid} helperText={invalid ? 'A serial is hexadecimal: 0–9 and a–f (colons and spaces are ignored).' : 'Part of a serial, in hexadecimal'}
          slotProps={{ htmlInput: { spellCheck: false, autoComplete: 'off' } }} />
        <Typography variant="body2" role="status" data-testid="crl-entry-count" sx={{ pt: 1 }}>
          {filtered ? `${count(shown.length)} of ${count(entries.length)} entries match` : `${count(entries.length)} ${entries.length === 1 ? 'entry' : 'entries'}`}
        </Typography>
      </Box>
      {/* Scrolled within its box, so the pagination below stays in view at any page size; focusable to scroll with the keyboard. */}
      <TableContainer ref={scroller} tabIndex={0} role="region" aria-label="CRL entries, this page" sx={{ maxHeight: 420, border: 1, borderColor: 'divider', borderRadius: 1 }}>
        <Table size="small" stickyHeader aria-label="CRL entries" sx={{ tableLayout: 'fixed' }}>
          <TableHead>
            <TableRow>
              <TableCell sx={{ width: '30%' }}>Serial</TableCell>
              <TableCell>Subject</TableCell>
              <TableCell sx={{ width: '24%' }}>Reason</TableCell>
              <TableCell sx={{ width: '25%' }}>Revoked</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((e) => (
              <TableRow key={e.serialHex}>
                <TableCell sx={monoSx}>{e.serialHex}</TableCell>
                <TableCell sx={{ overflowWrap: 'anywhere' }}>{e.subject === undefined ? '' : visibleText(e.subject)}</TableCell>
                <TableCell>{e.reasonText}</TableCell>
                <TableCell sx={{ whiteSpace: 'nowrap' }}>{revokedAt(e.revocationDate)}</TableCell>
              </TableRow>
            ))}
            {rows.length === 0 && (
              <TableRow><TableCell colSpan={4}>No entry has a serial containing “{typed.trim()}”.</TableCell></TableRow>
            )}
          </TableBody>
        </Table>
      </TableContainer>
      <TablePagination component="div" count={shown.length} page={at} rowsPerPage={perPage} rowsPerPageOptions={[...ENTRIES_PER_PAGE]}
        onPageChange={(_, next) => turnTo(next)} onRowsPerPageChange={(e) => { setPerPage(Number(e.target.value)); turnTo(0); }}
        labelRowsPerPage="Entries per page:" labelDisplayedRows={({ from, to, count: total }) => `${count(from)}–${count(to)} of ${count(total)}`}
        showFirstButton showLastButton />
    </Box>
  );
}
