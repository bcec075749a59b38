/**
 * The custodian quorum of an HSM: its mode and "k of m authenticated (n
 * registered)" as the card reports them, who is registered, a guided
 * authentication (each custodian presents their own token and types their own
 * PIN) and a guided enrolment that ends in registration. Keyboard alone is
 * enough: every step is a form with a default button.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Chip from '@mui/material/Chip';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { api } from '../../api.ts';
import { useAppState } from '../../AppState.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Page, Section } from '../../components/Page.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { useCall } from '../../hooks/useCall.ts';
import { monoSx } from '../../theme.ts';

type QuorumView = Output<'quorum.status'>;
type Token = Output<'token.list'>[number];

function ModeChip({ q }: { q: NonNullable<QuorumView['quorum']> }) {
  return q.protecting
    ? <Chip color="success" label={q.mode === 'quorum-only' ? 'Quorum-protected: custodians only' : 'Quorum-protected: PIN and custodians'} />
    : <Chip color="warning" label="NOT protecting: the PIN alone unlocks this HSM" />;
}

/** The registered keys: as the card lists them where it can, with what the journal recorded of each. */
function registeredRows(view: QuorumView): { chr: string; device: string; attestation: string; authenticated: boolean }[] {
  const journal = new Map(view.registered.map((r) => [r.chr, r]));
  const authenticatedNow = new Set(view.quorum?.custodians.map((c) => c.chr) ?? []);
  const chrs = view.onCard?.map((c) => c.chr) ?? view.registered.map((r) => r.chr);
  return chrs.map((chr) => {
    const j = journal.get(chr);
    return {
      chr,
      // A CHR is the device serial and a 5-character sequence (SC-HSM.md §1.4): the serial names the device the journal did not record.
      device: j?.deviceChr ?? `serial ${chr.slice(0, -5)}`,
      attestation: j === undefined ? 'not recorded here' : j.attestation === 'none' ? 'not attested (confirmed)' : j.attestation,
      authenticated: view.onCard?.find((c) => c.chr === chr)?.authenticated ?? authenticatedNow.has(chr),
    };
  });
}

function StatusSection({ view }: { view: QuorumView }) {
  const q = view.quorum;
  const rows = registeredRows(view);
  return (
    <Section title="Status">
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', mb: 1, flexWrap: 'wrap' }}>
        <Typography variant="h3" component="p" data-testid="quorum-summary" aria-live="polite">{view.summary}</Typography>
        {q && <ModeChip q={q} />}
      </Stack>
      {q && q.custodians.length > 0 && (
        <Typography variant="body2" sx={{ mb: 1 }}>
          Authenticated now: {q.custodians.map((c) => c.chr).join(', ')}
        </Typography>
      )}
      <Typography variant="h3" component="h3" sx={{ mt: 2, mb: 1 }}>Registered custodians</Typography>
      {rows.length === 0
        ? <Typography variant="body2">None recorded{q ? ` (the card reports ${q.registered} registered)` : ''}.</Typography>
        : (
          <Table size="small" aria-label="Registered custodians">
            <TableHead><TableRow><TableCell>Key (CHR)</TableCell><TableCell>Device</TableCell><TableCell>Attestation</TableCell><TableCell>Now</TableCell></TableRow></TableHead>
            <TableBody>
              {rows.map((r) => (
                <TableRow key={r.chr}>
                  <TableCell sx={monoSx}>{r.chr}</TableCell>
                  <TableCell sx={monoSx}>{r.device}</TableCell>
                  <TableCell>{r.attestation}</TableCell>
                  <TableCell>{r.authenticated ? 'authenticated' : ''}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
    </Section>
  );
}

function TokenSelect({ label, tokens, value, onChange }: { label: string; tokens: readonly Token[]; value: string; onChange: (id: string) => void }) {
  return (
    <TextField select label={label} value={value} onChange={(e) => onChange(e.target.value)} size="small" sx={{ minWidth: 260 }}>
      {tokens.map((t) => <MenuItem key={t.id} value={t.id}>{t.label} ({t.serial})</MenuItem>)}
    </TextField>
  );
}

/** One custodian at a time: token, their own PIN (the final try only when ticked), then the count from the card. */
function AuthenticateSection({ hsm, custodians, onDone }: { hsm: QuorumView; custodians: readonly Token[]; onDone: (v: QuorumView) => void }) {
  const [custodianId, setCustodianId] = useState('');
  const [pin, setPin] = useState('');
  const [finalTry, setFinalTry] = useState(false);
  const custodian = custodians.find((c) => c.id === custodianId);
  const action = useAction(useCallback((input: { custodianTokenId: string; pin: string; confirmFinalTry: boolean }) =>
    api.call('quorum.authenticate', { tokenId: hsm.tokenId, ...input }), [hsm.tokenId]));
  const needsConfirm = custodian?.pinState.finalTry === true;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!custodian || pin.length < 4 || (needsConfirm && !finalTry)) return;
    const typed = pin;
    setPin('');
    const v = await action.run({ custodianTokenId: custodian.id, pin: typed, confirmFinalTry: needsConfirm && finalTry });
    if (v) { onDone(v); setCustodianId(''); setFinalTry(false); }
  };
  const q = hsm.quorum;
  return (
    <Section title="Authenticate custodians">
      <Typography variant="body2" sx={{ mb: 1 }}>
        {q && q.authenticated >= q.required
          ? `The quorum is complete (${q.authenticated} of ${q.required}). ${q.mode === 'pin-and-quorum' ? `${hsm.label} also needs its own PIN before it signs. ` : ''}Taking a token away now does not lower the count.`
          : `${q ? `Step ${q.authenticated + 1} of ${q.required}: ` : ''}the next custodian presents their token and types their own PIN. Taking a token away afterwards does not lower the count.`}
      </Typography>
      <Box component="form" onSubmit={submit} aria-label="Authenticate a custodian">
        <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
          <TokenSelect label="Custodian token" tokens={custodians} value={custodianId} onChange={setCustodianId} />
          <TextField label="Custodian PIN" type="password" size="small" value={pin} onChange={(e) => setPin(e.target.value)} autoComplete="off" />
          <Button type="submit" variant="contained" disabled={action.running || !custodian || pin.length < 4 || (needsConfirm && !finalTry)}>Authenticate</Button>
        </Stack>
        {custodian?.pinState.triesLeft !== undefined && custodian.pinState.countLow && (
          <Alert severity="warning" sx={{ mt: 1 }}>{custodian.label}: {custodian.pinState.triesLeft} PIN {custodian.pinState.triesLeft === 1 ? 'try' : 'tries'} left.</Alert>
        )}
        {needsConfirm && (
          <FormControlLabel sx={{ mt: 1 }} control={<Checkbox checked={finalTry} onChange={(e) => setFinalTry(e.target.checked)} />}
            label="I understand: this is the final try, a wrong PIN blocks this token" />
        )}
      </Box>
      <ErrorAlert error={action.error} />
    </Section>
  );
}

/** Enrolment on the custodian's own token, then registration on this HSM after the host's check. */
function EnrolSection({ hsm, custodians, onDone }: { hsm: QuorumView; custodians: readonly Token[]; onDone: (v: QuorumView) => void }) {
  const [custodianId, setCustodianId] = useState('');
  const [pin, setPin] = useState('');
  const [confirmUnattested, setConfirmUnattested] = useState(false);
  const enrol = useAction(useCallback((input: { custodianTokenId: string; pin: string }) =>
    api.call('quorum.enrol', { ...input, forTokenId: hsm.tokenId }), [hsm.tokenId]));
  const preview = useAction(useCallback((contentBase64: string) => api.call('quorum.previewRegistration', { tokenId: hsm.tokenId, contentBase64 }), [hsm.tokenId]));
  const register = useAction(useCallback((input: { contentBase64: string; confirmUnattested: boolean }) =>
    api.call('quorum.register', { tokenId: hsm.tokenId, ...input }), [hsm.tokenId]));
  const file = enrol.result;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!custodianId || pin.length < 4) return;
    const typed = pin;
    setPin('');
    // A new enrolment starts a new registration: nothing ticked, nothing registered yet.
    register.reset();
    setConfirmUnattested(false);
    const made = await enrol.run({ custodianTokenId: custodianId, pin: typed });
    if (made) await preview.run(made.contentBase64);
  };
  const doRegister = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const v = await register.run({ contentBase64: file.contentBase64, confirmUnattested });
    if (v) onDone(v);
  };
  const p = preview.result;
  return (
    <Section title="Enrol a custodian">
      <Typography variant="body2" sx={{ mb: 1 }}>
        1. The custodian's token makes their authentication key. 2. Custos checks the key and its device here. 3. It is registered on {hsm.label}.
      </Typography>
      <Box component="form" onSubmit={submit} aria-label="Enrol a custodian">
        <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
          <TokenSelect label="Custodian token to enrol" tokens={custodians} value={custodianId} onChange={setCustodianId} />
          <TextField label="PIN of that token" type="password" size="small" value={pin} onChange={(e) => setPin(e.target.value)} autoComplete="off" />
          <Button type="submit" variant="contained" disabled={enrol.running || !custodianId || pin.length < 4}>Enrol</Button>
        </Stack>
      </Box>
      <ErrorAlert error={enrol.error} />
      <ErrorAlert error={preview.error} />
      {file && (
        <Box sx={{ mt: 2 }}>
          <Typography variant="body2">
            Registration file <a href={`data:application/octet-stream;base64,${file.contentBase64}`} download={file.fileName}>{file.fileName}</a>
            {' '}(the format sc-hsm-tool --export-for-pub-key-auth writes): key <Box component="span" sx={monoSx}>{file.candidate.chr}</Box> on {file.candidate.curve}.
          </Typography>
          {register.result && (
            <Alert severity="success" sx={{ mt: 1 }}>
              {`Custodian key ${file.candidate.chr} is registered on ${hsm.label}.${p?.needsConfirmation === true ? ' It is not attested: your confirmation is in the journal.' : ''}`}
            </Alert>
          )}
          {p && !register.result && (
            <Box component="form" onSubmit={doRegister} aria-label="Register the custodian" sx={{ mt: 1 }}>
              <Alert severity={p.attested ? 'success' : 'warning'} sx={{ mb: 1 }}>
                {p.attested
                  ? `Device ${p.candidate.deviceChr} is attested (${p.candidate.attestation}).`
                  : `Not attested: device ${p.candidate.deviceChr} ${p.candidate.notAttestedBecause === 'device-request' ? 'has no device certificate' : 'chains to no known root'}. Registering it needs your confirmation, which the journal records.`}
              </Alert>
              {p.needsConfirmation && (
                <FormControlLabel control={<Checkbox checked={confirmUnattested} onChange={(e) => setConfirmUnattested(e.target.checked)} />} label="Register this not-attested custodian key" />
              )}
              <Button type="submit" variant="contained" disabled={register.running || (p.needsConfirmation && !confirmUnattested)}>Register on {hsm.label}</Button>
            </Box>
          )}
          <ErrorAlert error={register.error} />
        </Box>
      )}
    </Section>
  );
}

export function QuorumScreen() {
  const { tokens, reloadTokens } = useAppState();
  const usable = tokens.filter((t) => t.error === undefined);
  const [hsmId, setHsmId] = useState('');
  useEffect(() => {
    if (hsmId === '' && usable.length > 0) setHsmId((usable.find((t) => /CA/.test(t.label)) ?? usable[0]!).id);
  }, [hsmId, usable]);
  const status = useCall('quorum.status', hsmId === '' ? null : { tokenId: hsmId });
  const [latest, setLatest] = useState<QuorumView>();
  useEffect(() => setLatest(undefined), [hsmId]);
  const view = latest ?? status.data;
  const custodians = usable.filter((t) => t.id !== hsmId);
  const done = (v: QuorumView) => { setLatest(v); reloadTokens(); };
  return (
    <Page title="Custodian quorum">
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', mb: 2 }}>
        <TokenSelect label="HSM" tokens={usable} value={hsmId} onChange={setHsmId} />
        <Button variant="outlined" onClick={() => { setLatest(undefined); status.reload(); }}>Read from the card</Button>
      </Stack>
      <ErrorAlert error={status.error} />
      {view && <StatusSection view={view} />}
      {view?.quorum && <AuthenticateSection hsm={view} custodians={custodians} onDone={done} />}
      {view?.quorum && <EnrolSection hsm={view} custodians={custodians} onDone={done} />}
    </Page>
  );
}
