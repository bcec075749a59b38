/** A CV certificate's or request's body in words: references, role and CHAT, dates, key and fingerprint. */
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableRow from '@mui/material/TableRow';
import type { z } from 'zod';
import type { CvcBodyView as BodyView } from '../../../main/api/cvc-contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { monoSx } from '../../theme.ts';

export function CvcBodyView({ body, label }: { body: z.output<typeof BodyView>; label: string }) {
  const rows: [string, string, boolean?][] = [
    ['CHR (holder)', visibleText(body.chr)],
    ...(body.car !== undefined ? [['CAR (authority)', visibleText(body.car)] as [string, string]] : []),
    ...(body.chat ? [
      ['Role', `${body.chat.roleName} — ${visibleText(body.chat.terminalTypeName)}`] as [string, string],
      ['Authorizations', body.chat.authorizations.length ? body.chat.authorizations.join(', ') : 'none'] as [string, string],
      ['CHAT bits', `${body.chat.bitsHex}${body.chat.otherBits.length ? ` (RFU bits set: ${body.chat.otherBits.join(', ')})` : ''}`, true] as [string, string, boolean],
    ] : []),
    ...(body.effectiveDate ? [['Valid', `${body.effectiveDate} → ${body.expirationDate ?? ''}`] as [string, string]] : []),
    ['Public key', `${body.publicKey.description}${body.publicKey.withDomainParameters ? ', with domain parameters' : ''}`],
    ['Signature algorithm', body.publicKey.algorithm],
    ...(body.publicKey.spkiSha256 ? [['Key SHA-256', body.publicKey.spkiSha256, true] as [string, string, boolean]] : []),
    ...(body.extensions.length ? [['Extensions', body.extensions.join(', ')] as [string, string]] : []),
  ];
  return (
    <Table size="small" aria-label={label}>
      <TableBody>
        {rows.map(([name, value, mono]) => (
          <TableRow key={name}>
            <TableCell component="th" scope="row" sx={{ width: 200 }}>{name}</TableCell>
            <TableCell sx={mono ? monoSx : undefined}>{value}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
