/** CV certificates as a table: holder, issuer, role, validity, where it came from; each row opens it. */
import Button from '@mui/material/Button';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { z } from 'zod';
import type { CvcCertificateSummary } from '../../../main/api/cvc-contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';

type Row = z.output<typeof CvcCertificateSummary>;
const ROLE: Record<Row['role'], string> = { cvca: 'CVCA', 'dv-domestic': 'DV (domestic)', 'dv-foreign': 'DV (foreign)', terminal: 'Terminal' };

export function CertificateTable({ rows, label, selected, onOpen }: { rows: readonly Row[]; label: string; selected?: string | undefined; onOpen: (id: string) => void }) {
  if (rows.length === 0) return <Typography variant="body2">None yet.</Typography>;
  return (
    <Table size="small" aria-label={label}>
      <TableHead><TableRow><TableCell>CHR</TableCell><TableCell>CAR</TableCell><TableCell>Role</TableCell><TableCell>Valid</TableCell><TableCell>Origin</TableCell><TableCell>Open</TableCell></TableRow></TableHead>
      <TableBody>
        {rows.map((c) => (
          <TableRow key={c.id} selected={c.id === selected}>
            <TableCell>{visibleText(c.chr)}{c.virtual ? ' — VIRTUAL' : ''}</TableCell>
            <TableCell>{visibleText(c.car)}{c.car === c.chr ? ' (self-signed)' : ''}</TableCell>
            <TableCell>{ROLE[c.role]}{c.terminalType ? ` · ${c.terminalType.toUpperCase()}` : ''}</TableCell>
            <TableCell sx={{ whiteSpace: 'nowrap' }}>{c.effectiveDate} →<br />{c.expirationDate}</TableCell>
            <TableCell>{c.origin === 'imported' ? 'imported' : c.origin === 'authority' ? 'made here' : 'signed here'}{c.recovered ? ' (recovered after an interrupted run)' : ''}</TableCell>
            <TableCell><Button size="small" onClick={() => onOpen(c.id)} aria-label={`Open CV certificate ${visibleText(c.chr)} from ${visibleText(c.car)}`}>Open</Button></TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
