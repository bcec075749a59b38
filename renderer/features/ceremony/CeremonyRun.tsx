/**
 * A ceremony under way, one step at a time: "Step k of n", the step's
 * instructions and what the room checks; Run (with the PIN of each HSM
 * the step opens and the custodians' tokens and PINs when the step needs
 * them; a DKEK import takes each custodian's share in turn); then what it
 * produced, every SHA-256 in groups of four for reading aloud; then the
 * performer's and witnesses' names and Confirm. At the end, Complete, and
 * the link to the transcript.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useState, type FormEvent } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { api } from '../../api.ts';
import { useAppState } from '../../AppState.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Section } from '../../components/Page.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { monoSx } from '../../theme.ts';
import { DkekImportStep } from './DkekImportStep.tsx';
import { groupsOfFour } from './fingerprint.ts';
import { finalTryUnconfirmed, pinsToSend, type TypedPin } from './step-pins.ts';
import { StepPins } from './StepPins.tsx';

type View = Output<'ceremony.start'>;
type Step = View['steps'][number];
type Pending = NonNullable<View['pending']>;

/** The acts that open the ceremony HSM's keys: they may need its custodians' quorum. */
const OPENS_HSM = new Set(['quorum.auth', 'root.create', 'crl.issue', 'request.sign', 'bundle.create', 'key.backup']);

function StepCard({ step }: { step: Step }) {
  return (
    <>
      <Typography variant="body1" sx={{ mb: 1 }} data-testid="ceremony-instructions">{visibleText(step.instructions)}</Typography>
      <Typography variant="body2" sx={{ mb: 0.5 }}>
        Performed by the {step.performer}; {step.witnesses} witness{step.witnesses === 1 ? '' : 'es'} confirm{step.witnesses === 1 ? 's' : ''}
        {step.quorum ? '; needs the custodians\' quorum' : ''}{step.signs ? '; signs with a key on the HSM' : ''}.
      </Typography>
      <Typography variant="h3" component="h3" sx={{ mt: 1 }}>Checks</Typography>
      <Box component="ul" aria-label="Checks" sx={{ mt: 0.5 }}>
        {step.checks.map((c, i) => <li key={i}><Typography variant="body2">{visibleText(c)}</Typography></li>)}
      </Box>
    </>
  );
}

function RunForm({ view, step, onView }: { view: View; step: Step; onView: (v: View) => void }) {
  const { tokens, reloadTokens } = useAppState();
  const [pins, setPins] = useState<Record<string, TypedPin>>({});
  const [custodians, setCustodians] = useState([{ tokenId: '', pin: '' }, { tokenId: '', pin: '' }]);
  const needsHsm = OPENS_HSM.has(step.act);
  const opens = step.opens ?? [];
  const unconfirmed = finalTryUnconfirmed(pins, tokens);
  const run = useAction(useCallback(async () => {
    const given = custodians.filter((c) => c.tokenId && c.pin);
    const typed = pinsToSend(pins);
    // PINs leave the form with the call: a failed step is run again with them typed again.
    setPins({});
    setCustodians((cs) => cs.map(() => ({ tokenId: '', pin: '' })));
    try {
      const next = await api.call('ceremony.runStep', { ceremony: view.id, ...(typed.length ? { pins: typed } : {}), ...(given.length ? { custodians: given } : {}) });
      onView(next);
      return next;
    } finally {
      // Tries left and logged-in states change with every PIN sent, right or wrong.
      reloadTokens();
    }
  }, [view.id, pins, custodians, onView, reloadTokens]));
  const submit = (e: FormEvent) => { e.preventDefault(); if (!unconfirmed) void run.run(); };
  if (step.act === 'dkek.import') return <DkekImportStep view={view} onView={onView} />;
  const setCustodian = (i: number, change: Partial<{ tokenId: string; pin: string }>) => setCustodians((cs) => cs.map((c, j) => (j === i ? { ...c, ...change } : c)));
  return (
    <Box component="form" aria-label="Run the step" onSubmit={submit} sx={{ mt: 2 }}>
      {(needsHsm || opens.length > 0) && (
        <Stack spacing={1.5} sx={{ maxWidth: 640, mb: 2 }}>
          <Typography variant="body2">
            {needsHsm ? 'Where the HSM is not open yet, each custodian presents their token and types their own PIN, and the administrator types the HSM\'s PIN. Leave them empty when the HSM is open.'
              : 'Where an HSM this step opens is not logged in yet, the administrator types its PIN. Leave it empty when it is.'}
          </Typography>
          {needsHsm && custodians.map((c, i) => (
            <Stack direction="row" spacing={1} key={i}>
              <TextField select label={`Custodian ${i + 1} token`} value={c.tokenId} onChange={(e) => setCustodian(i, { tokenId: e.target.value })} sx={{ minWidth: 260 }}>
                <MenuItem value="">(none)</MenuItem>
                {tokens.map((t) => <MenuItem key={t.id} value={t.id}>{t.label}</MenuItem>)}
              </TextField>
              <TextField label={`Custodian ${i + 1} PIN`} type="password" autoComplete="off" value={c.pin} onChange={(e) => setCustodian(i, { pin: e.target.value })} />
            </Stack>
          ))}
          {needsHsm && <Box><Button variant="text" onClick={() => setCustodians((cs) => [...cs, { tokenId: '', pin: '' }])}>Another custodian</Button></Box>}
          <StepPins opens={opens} tokens={tokens} typed={pins} onChange={(tokenId, change) => setPins((ps) => ({ ...ps, [tokenId]: change }))} />
        </Stack>
      )}
      <Button type="submit" variant="contained" disabled={run.running || unconfirmed}>{run.running ? 'Running…' : step.signs ? 'Run the step (signs)' : 'Run the step'}</Button>
      {run.running && <LinearProgress sx={{ mt: 1 }} aria-label="The step is running" />}
      <ErrorAlert error={run.error} />
    </Box>
  );
}

function Outcome({ pending }: { pending: Pending }) {
  return (
    <Box data-testid="ceremony-outcome" sx={{ mt: 1 }}>
      {pending.fromJournal && <Alert severity="info" sx={{ mb: 1 }}>This step's act was done before the interruption: it is recorded from the journal and was not run again.</Alert>}
      {pending.shown.map((line, i) => <Typography key={i} variant="body2" sx={monoSx}>{visibleText(line)}</Typography>)}
      {pending.artifacts.length > 0 && (
        <>
          <Typography variant="h3" component="h3" sx={{ mt: 2 }}>Read aloud: SHA-256</Typography>
          <Table size="small" aria-label="Fingerprints">
            <TableHead><TableRow><TableCell>What</TableCell><TableCell>SHA-256, in groups of four</TableCell></TableRow></TableHead>
            <TableBody>
              {pending.artifacts.map((a, i) => (
                <TableRow key={i}>
                  <TableCell>{a.kind} {visibleText(a.name)}</TableCell>
                  <TableCell sx={{ ...monoSx, wordBreak: 'normal', fontSize: '1.05rem' }} data-testid="fingerprint">{groupsOfFour(a.sha256)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </>
      )}
      {pending.custodians.length > 0 && (
        <Typography variant="body2" sx={{ mt: 1 }}>Custodians who authenticated for it: {pending.custodians.map((c) => c.chr).join(', ')}</Typography>
      )}
    </Box>
  );
}

function ConfirmForm({ view, step, onView }: { view: View; step: Step; onView: (v: View) => void }) {
  const [performer, setPerformer] = useState('');
  const [witnesses, setWitnesses] = useState<string[]>(() => Array.from({ length: step.witnesses }, () => ''));
  const confirm = useAction(useCallback(async () => {
    const next = await api.call('ceremony.confirmStep', { ceremony: view.id, performer, witnesses });
    onView(next);
    return next;
  }, [view.id, performer, witnesses, onView]));
  const submit = (e: FormEvent) => { e.preventDefault(); void confirm.run(); };
  return (
    <Box component="form" aria-label="Confirm the step" onSubmit={submit} sx={{ mt: 2 }}>
      <Stack spacing={1.5} sx={{ maxWidth: 480 }}>
        <TextField label={`Performer (${step.performer}), name`} value={performer} onChange={(e) => setPerformer(e.target.value)} required autoFocus />
        {witnesses.map((w, i) => (
          <TextField key={i} label={`Witness ${i + 1} of ${witnesses.length}, name`} value={w} required
            onChange={(e) => setWitnesses((ws) => ws.map((x, j) => (j === i ? e.target.value : x)))} />
        ))}
        <Box><Button type="submit" variant="contained" disabled={confirm.running}>Confirm the step</Button></Box>
      </Stack>
      <ErrorAlert error={confirm.error} />
    </Box>
  );
}

function Recorded({ view }: { view: View }) {
  if (view.recorded.length === 0) return null;
  return (
    <Section title="Steps recorded">
      <Table size="small" aria-label="Steps recorded">
        <TableHead><TableRow><TableCell>#</TableCell><TableCell>Step</TableCell><TableCell>Performer</TableCell><TableCell>Witnesses</TableCell><TableCell>Journal</TableCell></TableRow></TableHead>
        <TableBody>
          {view.recorded.map((r) => (
            <TableRow key={r.seq}>
              <TableCell>{r.index + 1}</TableCell>
              <TableCell>{visibleText(r.step)}{r.fromJournal ? ' (from the journal)' : ''}</TableCell>
              <TableCell>{visibleText(r.performer.name)}, {r.performer.time.slice(11, 19)} UTC</TableCell>
              <TableCell>{r.witnesses.map((w) => visibleText(w.name)).join(', ') || '—'}</TableCell>
              <TableCell>#{r.seq}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Section>
  );
}

function Abandon({ view, onView }: { view: View; onView: (v: View) => void }) {
  const [reason, setReason] = useState('');
  const abandon = useAction(useCallback(async () => {
    const next = await api.call('ceremony.abandon', { ceremony: view.id, reason });
    onView(next);
    return next;
  }, [view.id, reason, onView]));
  return (
    <Section title="Abandon">
      <Box component="form" aria-label="Abandon the ceremony" onSubmit={(e: FormEvent) => { e.preventDefault(); void abandon.run(); }}>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
          <TextField label="Why the ceremony is abandoned" value={reason} onChange={(e) => setReason(e.target.value)} required sx={{ minWidth: 360 }} />
          <Button type="submit" color="warning" variant="outlined" disabled={abandon.running} sx={{ mt: 1 }}>Abandon the ceremony</Button>
        </Stack>
      </Box>
      <ErrorAlert error={abandon.error} />
    </Section>
  );
}

export function CeremonyRun({ view, onView }: { view: View; onView: (v: View) => void }) {
  const total = view.steps.length;
  const step = view.steps[view.nextIndex];
  const pending = view.pending?.index === view.nextIndex ? view.pending : undefined;
  const complete = useAction(useCallback(async () => {
    const next = await api.call('ceremony.complete', { ceremony: view.id });
    onView(next);
    return next;
  }, [view.id, onView]));
  return (
    <>
      {view.rehearsal && <Alert severity="warning" sx={{ mb: 2 }} data-testid="ceremony-rehearsal">REHEARSAL ceremony: every token is virtual, and nothing it makes is for production.</Alert>}
      <Typography variant="body2" sx={{ mb: 1 }}>
        {visibleText(view.title)} (version {view.version}) · ceremony {view.id}{view.hsmLabel ? ` · HSM ${visibleText(view.hsmLabel)}` : ''}
      </Typography>
      <LinearProgress variant="determinate" value={(100 * Math.min(view.nextIndex, total)) / total} aria-label={`Progress: ${Math.min(view.nextIndex, total)} of ${total} steps recorded`} sx={{ mb: 2 }} />
      {view.ended ? (
        <Section title={view.ended.outcome === 'completed' ? 'Ceremony completed' : 'Ceremony abandoned'}>
          <Alert severity={view.ended.outcome === 'completed' ? 'success' : 'warning'} data-testid="ceremony-ended">
            {view.ended.outcome === 'completed' ? `All ${total} steps are recorded.` : `Abandoned: ${visibleText(view.ended.reason ?? '')}`} Journal head: <Box component="span" sx={monoSx}>{view.journalHead}</Box>
          </Alert>
          <Box sx={{ mt: 2 }}><Button variant="contained" href={`#/ceremony/${view.id}/transcript`}>Transcript</Button></Box>
        </Section>
      ) : step ? (
        <Section title={`Step ${view.nextIndex + 1} of ${total}: ${step.id}`}>
          <StepCard step={step} />
          {pending ? <><Outcome pending={pending} /><ConfirmForm key={`${view.id}-${view.nextIndex}`} view={view} step={step} onView={onView} /></>
            : <RunForm key={`${view.id}-${view.nextIndex}`} view={view} step={step} onView={onView} />}
        </Section>
      ) : (
        <Section title="Every step is recorded">
          <Button variant="contained" onClick={() => void complete.run()} disabled={complete.running}>Complete the ceremony</Button>
          <ErrorAlert error={complete.error} />
        </Section>
      )}
      <Recorded view={view} />
      {!view.ended && <Abandon view={view} onView={onView} />}
    </>
  );
}
