/**
 * Every token present, numbered, on one screen: during a ceremony custodians
 * say "number 3" and point at the row. The rows come in the core's listing
 * order (main/hsm/token-order.ts: kind, then label and serial), which no
 * login, PIN try or re-inserted card changes, so a number keeps meaning the
 * same token; a token taken out keeps its row (tokenRows.ts). The sections
 * below follow the same order and carry the same numbers.
 */
import Box from '@mui/material/Box';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { Output } from '../../../main/api/contract.ts';
import { monoSx } from '../../theme.ts';
import type { TokenRow } from './tokenRows.ts';

type TokenSummary = Output<'token.list'>[number];

const KINDS: Readonly<Record<TokenSummary['backend'], string>> = { 'sc-hsm': 'SmartCard-HSM', pkcs11: 'PKCS#11', virtual: 'SmartCard-HSM' };

/** What the token is: its backend, and virtual for a rehearsal token (never mistaken for a real HSM). */
export function tokenKind(token: TokenSummary): string {
  return `${token.virtual ? 'virtual ' : ''}${KINDS[token.backend]}`;
}

/**
 * Its state in words that differ from the section's own "Logged in" line:
 * the table repeats the state, and a person (or a test) reading the page for
 * "Logged in" means the token's section.
 */
export function tokenState(token: TokenSummary): string {
  if (token.error) return `Cannot be opened (${token.error.code})`;
  if (token.pinState.locked) return 'PIN blocked';
  if (token.loggedIn) return 'Logged in now';
  const tries = token.pinState.triesLeft;
  return tries === undefined ? 'Not logged in yet' : `Not logged in yet, ${tries} PIN ${tries === 1 ? 'try' : 'tries'} left`;
}

/** Short values stay on one line, so five tokens fit the window's height; the reader name wraps. */
const oneLine = { whiteSpace: 'nowrap', wordBreak: 'normal' } as const;

export function TokenOverview({ rows }: { rows: readonly TokenRow[] }) {
  return (
    <Box sx={{ mb: 3 }}>
      <Typography variant="body2" id="token-overview-caption" sx={{ mb: 1 }}>
        Numbered in the order Custos always lists them (kind, then label and serial): logging in or a PIN try moves no token, and a token taken out keeps its number until you look for tokens again.
      </Typography>
      <Table size="small" aria-label="Tokens present" aria-describedby="token-overview-caption" sx={{ bgcolor: 'background.paper' }}>
        <TableHead>
          <TableRow><TableCell>No.</TableCell><TableCell>Token</TableCell><TableCell>Kind</TableCell><TableCell>Serial</TableCell><TableCell>Reader</TableCell><TableCell>State</TableCell></TableRow>
        </TableHead>
        <TableBody>
          {rows.map(({ token: t, present }, i) => (
            <TableRow key={t.id}>
              <TableCell>{i + 1}</TableCell>
              <TableCell sx={oneLine}>{t.label}</TableCell>
              <TableCell sx={oneLine}>{tokenKind(t)}</TableCell>
              <TableCell sx={{ ...monoSx, ...oneLine }}>{t.serial || '—'}</TableCell>
              <TableCell>{t.reader}</TableCell>
              <TableCell>{present ? tokenState(t) : 'Taken out: put it back in'}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}
