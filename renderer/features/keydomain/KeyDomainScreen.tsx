/**
 * The key domain, as a ceremony runs it: which card, which step, which
 * custodian is next. Shares are made one custodian at a time, imported one
 * custodian at a time ("k of n"), a key is backed up once the domain is
 * complete and restored into a secondary HSM of the same domain.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Step from '@mui/material/Step';
import StepButton from '@mui/material/StepButton';
import Stepper from '@mui/material/Stepper';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useState } from 'react';
import { api } from '../../api.ts';
import { useAppState } from '../../AppState.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Page, Section } from '../../components/Page.tsx';
import { VirtualChip } from '../../components/VirtualChip.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { monoSx } from '../../theme.ts';
import { PinDialog } from '../tokens/PinDialog.tsx';
import { BackupStep } from './BackupStep.tsx';
import { ImportShareStep } from './ImportShareStep.tsx';
import { MakeShareStep, type MadeShare } from './MakeShareStep.tsx';
import { PaperRecordDialog, type PaperRecordData } from './PaperRecord.tsx';
import { RestoreStep } from './RestoreStep.tsx';
import { useKeyDomainFiles, useKeyDomainStatus } from './useKeyDomain.ts';

const STEPS = ['Make shares', 'Import shares', 'Back up a key', 'Restore into a secondary HSM'] as const;

export function KeyDomainScreen() {
  const { tokens, reloadTokens } = useAppState();
  const cards = tokens.filter((t) => t.backend === 'sc-hsm' && !t.error);
  const [tokenId, setTokenId] = useState('');
  const card = cards.find((t) => t.id === tokenId) ?? cards[0];
  const status = useKeyDomainStatus(card?.id);
  const files = useKeyDomainFiles();
  const [step, setStep] = useState(0);
  const [made, setMade] = useState<MadeShare[]>([]);
  const [record, setRecord] = useState<PaperRecordData>();
  const [pinOpen, setPinOpen] = useState(false);
  const [restored, setRestored] = useState(false);
  const cardName = card ? `${card.label} (serial ${card.serial})` : '';
  const reloadStatus = status.reload;
  const reloadFiles = files.reload;
  const afterChange = useCallback(() => { reloadStatus(); reloadFiles(); reloadTokens(); }, [reloadStatus, reloadFiles, reloadTokens]);
  const onRestored = useCallback(() => { setRestored(true); afterChange(); }, [afterChange]);
  const onMade = useCallback((s: MadeShare) => { setMade((m) => [...m, s]); reloadFiles(); }, [reloadFiles]);
  const login = useAction(useCallback(async (pin: string, confirmFinalTry: boolean) => {
    if (!card) return undefined;
    const t = await api.call('token.login', { tokenId: card.id, pin, ...(confirmFinalTry ? { confirmFinalTry: true } : {}) });
    setPinOpen(false);
    afterChange();
    return t;
  }, [card, afterChange]));

  if (!card) {
    return (
      <Page title="Key domain">
        <Alert severity="info">No SmartCard-HSM is present. A key domain (DKEK) lives on SmartCard-HSMs: insert one, or start a rehearsal.</Alert>
      </Page>
    );
  }
  const s = status.data;
  const totalShares = s?.configured ? s.totalShares : 2;
  const backups = (files.data ?? []).filter((f) => f.kind === 'backup');
  // A step is ticked once its outcome exists: every share made, the domain complete, a backup on disk, a key restored.
  const done = [made.length >= totalShares, s?.complete === true, backups.length > 0, restored];
  return (
    <Page title="Key domain">
      <Section title="Card">
        <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} sx={{ alignItems: { md: 'center' } }}>
          <TextField select label="SmartCard-HSM" value={card.id} onChange={(e) => setTokenId(e.target.value)} sx={{ minWidth: 320 }}>
            {cards.map((t) => <MenuItem key={t.id} value={t.id}>{t.label} — serial {t.serial}</MenuItem>)}
          </TextField>
          <VirtualChip show={card.virtual} />
          <Typography variant="body2" role="status">{card.loggedIn ? 'Logged in' : 'Not logged in'}</Typography>
          {!card.loggedIn && <Button variant="outlined" onClick={() => { login.reset(); setPinOpen(true); }} disabled={card.pinState.locked}>Log in…</Button>}
        </Stack>
        {s && (
          <Stack direction="row" spacing={1} sx={{ mt: 1.5, flexWrap: 'wrap', alignItems: 'center' }} aria-label="Key domain status">
            {!s.configured && <Chip color="warning" label="No key domain on this card" />}
            {s.configured && <Chip color={s.complete ? 'success' : 'default'} label={`${s.importedShares} of ${s.totalShares} shares imported`} />}
            {s.complete && <Typography variant="body2">Domain KCV <Box component="span" sx={monoSx}>{s.kcv}</Box></Typography>}
          </Stack>
        )}
        <ErrorAlert error={status.error} />
        <PinDialog token={card} open={pinOpen} busy={login.running} error={login.error} onCancel={() => setPinOpen(false)} onSubmit={(pin, c) => void login.run(pin, c)} />
      </Section>
      <Stepper nonLinear activeStep={step} sx={{ mb: 2 }} aria-label="Steps of the key domain ceremony">
        {STEPS.map((label, i) => (
          <Step key={label} completed={done[i]}>
            <StepButton onClick={() => setStep(i)}>{label}</StepButton>
          </Step>
        ))}
      </Stepper>
      <Section title={STEPS[step]!}>
        {step === 0 && <MakeShareStep totalShares={totalShares} made={made} onMade={onMade}
          onPrint={(x) => setRecord({ custodian: x.custodian, shareKcv: x.shareKcv, date: x.createdAt, fileName: x.fileName })} />}
        {step === 1 && s && <ImportShareStep tokenId={card.id} cardName={cardName} status={s} files={(files.data ?? []).filter((f) => f.kind === 'share')} made={made}
          onImported={afterChange} onPrint={(x) => setRecord({ ...x, card: cardName, ...(s.complete && s.kcv ? { domainKcv: s.kcv } : {}) })} />}
        {step === 2 && s && <BackupStep tokenId={card.id} cardName={cardName} loggedIn={card.loggedIn} status={s} onBackedUp={afterChange} />}
        {step === 3 && <RestoreStep secondaries={cards.filter((t) => t.id !== card.id)} backups={backups} onRestored={onRestored} />}
      </Section>
      <PaperRecordDialog record={record} onClose={() => setRecord(undefined)} />
    </Page>
  );
}
