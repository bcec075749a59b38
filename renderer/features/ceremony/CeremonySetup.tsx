/**
 * Before a ceremony: the script (a shipped one or a file), the HSM it runs
 * on and the folder on the medium; the pre-flight's findings, each with its
 * code and step; and Begin, offered only when the pre-flight found nothing
 * (or Resume, when a ceremony was begun and not ended).
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useState, type ChangeEvent, type FormEvent } from 'react';
import type { Input, Output } from '../../../main/api/contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { api } from '../../api.ts';
import { useAppState } from '../../AppState.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Section } from '../../components/Page.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { useCall } from '../../hooks/useCall.ts';
import { monoSx } from '../../theme.ts';
import { toBase64 } from './file-bytes.ts';

type View = Output<'ceremony.start'>;
type ScriptRef = Input<'ceremony.start'>['script'];

const FILE_CHOICE = '(file)';

export function CeremonySetup({ onStarted }: { onStarted: (view: View) => void }) {
  const { tokens } = useAppState();
  const scripts = useCall('ceremony.scripts', undefined);
  const status = useCall('ceremony.status', undefined);
  const [choice, setChoice] = useState('');
  const [file, setFile] = useState<{ fileName: string; contentBase64: string }>();
  const [hsm, setHsm] = useState('');
  const [mediaDir, setMediaDir] = useState('');
  const script: ScriptRef | undefined = choice === FILE_CHOICE ? file : choice ? { bundled: choice } : undefined;
  const setting = script ? { script, ...(hsm ? { hsmTokenId: hsm } : {}), ...(mediaDir.trim() ? { mediaDir: mediaDir.trim() } : {}) } : undefined;
  const interrupted = status.data?.interrupted;

  const check = useAction(useCallback(async () => (setting ? api.call('ceremony.preflight', setting) : undefined), [JSON.stringify(setting)]));
  const begin = useAction(useCallback(async () => {
    if (!setting) return undefined;
    const view = await api.call(interrupted ? 'ceremony.resume' : 'ceremony.start', setting);
    onStarted(view);
    return view;
  }, [JSON.stringify(setting), interrupted, onStarted]));
  const pick = useAction(useCallback(async () => {
    const picked = await api.call('export.pickFolder');
    if (picked) setMediaDir(picked.path);
    return picked;
  }, []));

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const f = e.target.files?.[0];
    if (!f) return;
    setFile({ fileName: f.name, contentBase64: toBase64(await f.arrayBuffer()) });
    check.reset();
  };
  const submit = (e: FormEvent) => { e.preventDefault(); void check.run(); };
  const findings = check.result?.findings;
  const clean = findings !== undefined && findings.length === 0;

  return (
    <>
      {interrupted && (
        <Alert severity="warning" sx={{ mb: 2 }} data-testid="ceremony-interrupted">
          The ceremony {interrupted.id} ({visibleText(interrupted.title)}) was begun and not ended: {interrupted.stepsRecorded} step(s) are recorded.
          Choose its script, HSM and medium below and resume it where it stopped; a step whose act had already signed is recorded from the journal, not signed again.
          <Box sx={{ mt: 1 }}>
            <Button variant="contained" onClick={() => void begin.run()} disabled={!setting || begin.running}>Resume the ceremony</Button>
          </Box>
          <ErrorAlert error={begin.error} />
        </Alert>
      )}
      <Section title="Script and room">
        <Box component="form" aria-label="Ceremony setup" onSubmit={submit}>
          <Stack spacing={2} sx={{ maxWidth: 640 }}>
            <TextField select label="Ceremony script" value={choice} onChange={(e) => { setChoice(e.target.value); check.reset(); }}>
              {(scripts.data ?? []).map((s) => <MenuItem key={s.file} value={s.file}>{s.title} (version {s.version}, {s.steps} steps)</MenuItem>)}
              <MenuItem value={FILE_CHOICE}>A script file…</MenuItem>
            </TextField>
            {choice === FILE_CHOICE && (
              <Button variant="outlined" component="label">
                {file ? `Script file: ${visibleText(file.fileName)}` : 'Choose the script file'}
                <input type="file" accept=".json,application/json" hidden onChange={(e) => void onFile(e)} />
              </Button>
            )}
            <TextField select label="HSM" value={hsm} onChange={(e) => { setHsm(e.target.value); check.reset(); }} helperText="The HSM the ceremony's keys live on, or the root is to be made on.">
              {tokens.map((t) => <MenuItem key={t.id} value={t.id}>{t.virtual ? '[VIRTUAL] ' : ''}{t.label} (serial {t.serial})</MenuItem>)}
            </TextField>
            <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
              <TextField label="Folder on the removable medium" value={mediaDir} onChange={(e) => { setMediaDir(e.target.value); check.reset(); }} fullWidth
                helperText="Where requests are read from and bundles written to." slotProps={{ htmlInput: { sx: monoSx } }} />
              <Button variant="outlined" onClick={() => void pick.run()} disabled={pick.running} sx={{ mt: 1, whiteSpace: 'nowrap', flexShrink: 0, px: 2 }}>Choose folder…</Button>
            </Stack>
            <Box>
              <Button type="submit" variant="contained" disabled={!setting || check.running}>{check.running ? 'Checking…' : 'Run the pre-flight'}</Button>
            </Box>
          </Stack>
        </Box>
        <ErrorAlert error={check.error ?? pick.error} />
      </Section>
      {check.result && (
        <Section title="Pre-flight">
          <Typography variant="body2" sx={{ mb: 1 }}>
            {visibleText(check.result.title)}: {check.result.steps} steps; script SHA-256 <Box component="span" sx={monoSx}>{check.result.scriptSha256}</Box>
          </Typography>
          {clean
            ? <Alert severity="success" data-testid="preflight-clean">No findings: every token, key and medium is there, and everything the ceremony will sign passes the lint.</Alert>
            : (
              <Stack spacing={1} component="ul" aria-label="Pre-flight findings" sx={{ listStyle: 'none', p: 0, m: 0 }}>
                {findings!.map((f, i) => (
                  <li key={i}><Alert severity="error"><strong>{f.code}</strong>{f.step ? ` (step ${visibleText(f.step)})` : ''}: {visibleText(f.message)}</Alert></li>
                ))}
              </Stack>
            )}
          {clean && !interrupted && (
            <Box sx={{ mt: 2 }}>
              <Button variant="contained" color="primary" onClick={() => void begin.run()} disabled={begin.running}>Begin the ceremony</Button>
            </Box>
          )}
          {!interrupted && <ErrorAlert error={begin.error} />}
        </Section>
      )}
    </>
  );
}
