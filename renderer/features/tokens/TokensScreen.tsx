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
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { api } from '../../api.ts';
import { useAppState } from '../../AppState.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Page, Section } from '../../components/Page.tsx';
import { VirtualChip } from '../../components/VirtualChip.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { monoSx } from '../../theme.ts';
import { GenerateKeyForm } from './GenerateKeyForm.tsx';
import { PinDialog } from './PinDialog.tsx';
import { KeyRequestForm } from './KeyRequestForm.tsx';
import { PinChangeDialog, type PinChangeMode } from './PinChangeDialog.tsx';
import { PinStateChips } from './PinStateChips.tsx';
import { TokenOverview } from './TokenOverview.tsx';
import { keepPlaces, type TokenRow } from './tokenRows.ts';
import { describeKeySpec } from './keySpecs.ts';
import { useTokenKeys } from './useTokenKeys.ts';

type TokenSummary = Output<'token.list'>[number];

function TokenKeys({ token }: { token: TokenSummary }) {
  const keys = useTokenKeys(token.id);
  return (
    <Box sx={{ mt: 2 }}>
      <Typography variant="h3" component="h3" sx={{ mb: 1 }}>Keys on this token</Typography>
      <ErrorAlert error={keys.error} />
      {keys.data && keys.data.length === 0 && <Typography variant="body2">No keys yet.</Typography>}
      {keys.data && keys.data.length > 0 && (
        <Table size="small" aria-label={`Keys on ${token.label}`}>
          <TableHead><TableRow><TableCell>Label</TableCell><TableCell>Type</TableCell><TableCell>SPKI SHA-256</TableCell></TableRow></TableHead>
          <TableBody>
            {keys.data.map((k) => (
              <TableRow key={k.id}>
                <TableCell>{k.label}</TableCell>
                <TableCell>{describeKeySpec(k.spec)}</TableCell>
                <TableCell sx={monoSx}>{k.spkiSha256}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {keys.data && keys.data.length > 0 && (
        <Box sx={{ mt: 2 }}>
          <Typography variant="h3" component="h3" sx={{ mb: 1 }}>Request a certificate for a key (a subordinate CA)</Typography>
          {!token.loggedIn && <Typography variant="body2" sx={{ mb: 1 }}>Log in: the token signs the request.</Typography>}
          <KeyRequestForm tokenId={token.id} keys={keys.data} disabled={!token.loggedIn} />
        </Box>
      )}
      <Box sx={{ mt: 2 }}>
        <Typography variant="h3" component="h3" sx={{ mb: 1 }}>Generate a key pair</Typography>
        {!token.loggedIn && <Typography variant="body2" sx={{ mb: 1 }}>Log in to generate a key pair.</Typography>}
        <GenerateKeyForm tokenId={token.id} disabled={!token.loggedIn} onGenerated={keys.reload} />
      </Box>
    </Box>
  );
}

/** Its number in the list, as the overview table shows it, so a section and its row are matched at a glance. */
function PlaceChip({ place, count }: { place: number; count: number }) {
  return <Chip size="small" variant="outlined" label={`No. ${place}`} aria-label={`Number ${place} of ${count} in the token list`} />;
}

/** A token or card that is present but could not be opened: shown with why, so it hides nothing. */
function UnopenableToken({ token, place, count }: { token: TokenSummary; place: number; count: number }) {
  return (
    <Section title={token.label}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1 }}>
        <PlaceChip place={place} count={count} />
        <Typography variant="body2">{token.reader} ({token.backend})</Typography>
      </Stack>
      <Alert severity="error" role="alert">This card cannot be opened ({token.error?.code}): {token.error?.message}</Alert>
    </Section>
  );
}

/**
 * A SmartCard-HSM-compatible device no known root attests: nothing proves its
 * keys are on a genuine chip. It is shown, and usable only once the operator
 * accepts it; the core records that decision in the journal.
 */
function Unattested({ token, onChanged }: { token: TokenSummary; onChanged: () => void }) {
  const accept = useAction(useCallback(async () => {
    const t = await api.call('token.accept', { tokenId: token.id });
    onChanged();
    return t;
  }, [token.id, onChanged]));
  if (token.attestation !== 'none') return null;
  if (token.accepted) {
    return <Alert severity="info" sx={{ mt: 1 }}>Device not attested by a known root: accepted by an operator (recorded in the journal).</Alert>;
  }
  return (
    <Box sx={{ mt: 1 }}>
      <Alert severity="warning" action={<Button color="inherit" onClick={() => void accept.run()} disabled={accept.running}>Accept this device</Button>}>
        Device not attested by a known root: nothing proves this card is a genuine SmartCard-HSM (device key SHA-256 <Box component="span" sx={monoSx}>{token.deviceKeySha256?.slice(0, 16)}…</Box>).
        It cannot be used until you accept it.
      </Alert>
      <ErrorAlert error={accept.error} />
    </Box>
  );
}

function TokenCard({ token, place, count, onChanged }: { token: TokenSummary; place: number; count: number; onChanged: () => void }) {
  const [pinOpen, setPinOpen] = useState(false);
  const [pinChange, setPinChange] = useState<PinChangeMode>();
  const login = useAction(useCallback(async (pin: string, confirmFinalTry: boolean) => {
    try {
      const t = await api.call('token.login', { tokenId: token.id, pin, ...(confirmFinalTry ? { confirmFinalTry: true } : {}) });
      setPinOpen(false);
      return t;
    } finally {
      // After every attempt, good or wrong: the chips and the dialog show the tries left now,
      // so the final-try confirmation appears without a manual refresh.
      onChanged();
    }
  }, [token.id, onChanged]));
  const logout = useAction(useCallback(async () => {
    const t = await api.call('token.logout', { tokenId: token.id });
    onChanged();
    return t;
  }, [token.id, onChanged]));
  const usable = token.attestation !== 'none' || token.accepted === true;

  return (
    <Section title={`${token.label}`}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1 }}>
        <PlaceChip place={place} count={count} />
        <Typography variant="body2">{token.manufacturer} {token.model}, serial <Box component="span" sx={monoSx}>{token.serial}</Box> in {token.reader} ({token.backend})</Typography>
        <VirtualChip show={token.virtual} />
      </Stack>
      <PinStateChips pin={token.pinState} />
      <Unattested token={token} onChanged={onChanged} />
      <Stack direction="row" spacing={2} sx={{ mt: 2, alignItems: 'center' }}>
        <Typography variant="body2" role="status">{token.loggedIn ? 'Logged in' : 'Not logged in'}</Typography>
        {token.loggedIn
          ? <Button variant="outlined" onClick={() => void logout.run()} disabled={logout.running}>Log out</Button>
          : <Button variant="contained" onClick={() => { login.reset(); setPinOpen(true); }} disabled={token.pinState.locked || !usable}>Log in…</Button>}
        {usable && <Button variant="outlined" onClick={() => setPinChange('change')} disabled={token.pinState.locked}>Change PIN…</Button>}
        {usable && <Button variant="outlined" color={token.pinState.locked ? 'error' : 'primary'} onClick={() => setPinChange('unblock')}>Unblock PIN…</Button>}
      </Stack>
      <PinChangeDialog token={token} mode={pinChange ?? 'change'} open={pinChange !== undefined} onClose={() => setPinChange(undefined)} onAttempted={onChanged} />
      {token.pinState.locked && <Alert severity="error" sx={{ mt: 1 }}>The user PIN is blocked: unblock it with the SO PIN before logging in.</Alert>}
      <ErrorAlert error={logout.error} />
      <PinDialog token={token} open={pinOpen} busy={login.running} error={login.error} onCancel={() => setPinOpen(false)} onSubmit={(pin, c) => void login.run(pin, c)} />
      {usable && <TokenKeys token={token} />}
    </Section>
  );
}

/** A token taken out while this screen was open: its row stays, so no number after it changes. */
function TakenOutToken({ token, place, count }: { token: TokenSummary; place: number; count: number }) {
  return (
    <Section title={token.label}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1 }}>
        <PlaceChip place={place} count={count} />
        <Typography variant="body2">Serial <Box component="span" sx={monoSx}>{token.serial}</Box>, last seen in {token.reader} ({token.backend})</Typography>
        <VirtualChip show={token.virtual} />
      </Stack>
      <Alert severity="info">Taken out. Its number stays while this screen is open: put it back in, or look for tokens again to number the tokens present afresh.</Alert>
    </Section>
  );
}

/** The rows in the core's order, with the tokens taken out since this screen opened kept at their places (tokenRows.ts). */
function useTokenRows(tokens: readonly TokenSummary[], inRehearsal: boolean): { rows: TokenRow[]; renumber: () => void } {
  const previous = useRef<TokenRow[]>([]);
  const [generation, setGeneration] = useState(0);
  // generation: looking for tokens again starts from no rows (renumber empties previous), even before the new list comes.
  const rows = useMemo(() => keepPlaces(previous.current, tokens, inRehearsal), [tokens, generation, inRehearsal]);
  useEffect(() => { previous.current = rows; }, [rows]);
  const renumber = useCallback(() => {
    previous.current = [];
    setGeneration((g) => g + 1);
  }, []);
  return { rows, renumber };
}

export function TokensScreen() {
  const { tokens, info, reloadTokens } = useAppState();
  const { rows, renumber } = useTokenRows(tokens, info?.rehearsal === true);
  const lookAgain = useCallback(() => { renumber(); reloadTokens(); }, [renumber, reloadTokens]);
  return (
    <Page title="Tokens" actions={<Button variant="outlined" onClick={lookAgain}>Look for tokens again</Button>}>
      {rows.length === 0 && <Alert severity="info">No token found. Insert a token or start a rehearsal.</Alert>}
      {rows.length > 0 && <TokenOverview rows={rows} />}
      {/* Keyed by token id, in the core's order: a token whose state changes re-renders in place, never remounts elsewhere. */}
      {rows.map(({ token: t, present }, i) => !present
        ? <TakenOutToken key={t.id} token={t} place={i + 1} count={rows.length} />
        : t.error
          ? <UnopenableToken key={t.id} token={t} place={i + 1} count={rows.length} />
          : <TokenCard key={t.id} token={t} place={i + 1} count={rows.length} onChanged={reloadTokens} />)}
    </Page>
  );
}
