/** What the request asked for beside what will be issued, one row an item, with why anything differs. */
import Chip from '@mui/material/Chip';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import type { z } from 'zod';
import type { RequestReview } from '../../../main/api/contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';

type Row = z.output<typeof RequestReview>['rows'][number];

const OUTCOME: Record<Row['outcome'], { label: string; color: 'success' | 'info' | 'warning' | 'default' }> = {
  taken: { label: 'Taken', color: 'success' },
  changed: { label: 'Changed', color: 'warning' },
  dropped: { label: 'Dropped', color: 'warning' },
  added: { label: 'Added by profile', color: 'info' },
};

export function AskedIssued({ rows }: { rows: readonly Row[] }) {
  return (
    <Table size="small" aria-label="Asked and issued" sx={{ tableLayout: 'fixed', width: '100%', '& td, & th': { overflowWrap: 'anywhere', verticalAlign: 'top' } }}>
      <TableHead>
        <TableRow>
          <TableCell sx={{ width: '18%' }}>Item</TableCell>
          <TableCell sx={{ width: '27%' }}>Asked</TableCell>
          <TableCell sx={{ width: '27%' }}>Issued</TableCell>
          <TableCell>Outcome</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {rows.map((r, i) => (
          <TableRow key={i} data-outcome={r.outcome}>
            <TableCell component="th" scope="row">{r.item}</TableCell>
            <TableCell>{r.asked === undefined ? '—' : visibleText(r.asked)}</TableCell>
            <TableCell>{r.issued === undefined ? '— (not issued)' : visibleText(r.issued)}</TableCell>
            <TableCell>
              <Chip size="small" variant="outlined" color={OUTCOME[r.outcome].color} label={OUTCOME[r.outcome].label} />
              {r.reason && <div>{visibleText(r.reason)}</div>}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
