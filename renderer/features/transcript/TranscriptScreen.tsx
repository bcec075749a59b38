/**
 * The transcript page, #/ceremony/<id>/transcript: the document on screen
 * with print, save (JSON twin and PDF, to a medium or a chosen folder) and
 * verify around it; only the document is printed.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import GlobalStyles from '@mui/material/GlobalStyles';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { ThemeProvider } from '@mui/material/styles';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { directoryOf, useExportDestination } from '../../components/ExportDestination.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { useCall } from '../../hooks/useCall.ts';
import { createAppTheme, monoSx } from '../../theme.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { TranscriptDocument } from './TranscriptDocument.tsx';

const hiddenInPrint = { '@media print': { display: 'none' } } as const;

function SaveAndVerify({ ceremony, complete, onSaved }: { ceremony: string; complete: boolean; onSaved: () => void }) {
  const { destination, control } = useExportDestination();
  const [path, setPath] = useState('');
  const save = useAction(useCallback(async () => {
    const directory = directoryOf(destination);
    const saved = await api.call('transcript.save', { ceremony, ...(directory !== undefined ? { directory } : {}) });
    setPath(saved.jsonPath);
    onSaved();
    return saved;
  }, [ceremony, destination, onSaved]));
  const verify = useAction(useCallback(async () => api.call('transcript.verify', { path }), [path]));
  const saved = save.result;
  const checked = verify.result;
  return (
    <Box component="section" aria-label="Save and verify" sx={{ mb: 2, ...hiddenInPrint }}>
      {control}
      <Button variant="contained" onClick={() => void save.run()} disabled={save.running}>
        {save.running ? 'Saving…' : complete ? 'Save transcript (JSON and PDF)' : 'Save INCOMPLETE transcript'}
      </Button>
      <ErrorAlert error={save.error} />
      {saved && (
        <Alert severity={saved.pdfPath ? 'success' : 'warning'} sx={{ mt: 1 }} data-testid="transcript-saved">
          <div>Saved {visibleText(saved.jsonPath)}</div>
          <Box sx={monoSx}>sha256 {saved.jsonSha256}</Box>
          {saved.pdfPath ? <><div>and {visibleText(saved.pdfPath)}</div><Box sx={monoSx}>sha256 {saved.pdfSha256}</Box></> : <div>No PDF: {visibleText(saved.pdfUnavailable ?? '')}</div>}
          <div>{saved.recordedSeq !== undefined ? `Recorded in journal entry #${saved.recordedSeq}.` : 'Not recorded in the journal: the ceremony has not ended.'}</div>
        </Alert>
      )}
      <Stack direction="row" spacing={1} sx={{ mt: 2, alignItems: 'flex-start' }}>
        <TextField size="small" label="Transcript file to verify" value={path} onChange={(e) => setPath(e.target.value)} sx={{ flex: '1 1 320px', maxWidth: 560 }}
          helperText="A .transcript.json on a removable medium, or the one just saved" />
        <Button variant="outlined" onClick={() => void verify.run()} disabled={verify.running || path === ''}>{verify.running ? 'Verifying…' : 'Verify against the journal'}</Button>
      </Stack>
      <ErrorAlert error={verify.error} />
      {checked && (
        <Alert severity={checked.ok ? 'success' : 'error'} sx={{ mt: 1 }} data-testid="transcript-verified">
          {checked.ok
            ? `Verified: ${checked.steps} steps and ${checked.artifacts} artifacts as the journal records them; its hash is the one journal entry #${checked.recordedAt} recorded.`
            : checked.problems.map((p, i) => <div key={i}><strong>{p.code}</strong>: {visibleText(p.message)}</div>)}
        </Alert>
      )}
    </Box>
  );
}

/** The page's title once the document is on it: what the app's print (electron/transcript-print.ts) waits for. */
export const TRANSCRIPT_TITLE_PREFIX = 'Ceremony transcript';

export function TranscriptScreen({ ceremony }: { ceremony: string }) {
  const view = useCall('transcript.get', { ceremony });
  // The document is paper in either theme: what is printed is what is shown.
  const paper = useMemo(() => createAppTheme('light'), []);
  const loaded = view.data !== undefined;
  useEffect(() => {
    if (!loaded) return undefined;
    const before = document.title;
    document.title = `${TRANSCRIPT_TITLE_PREFIX} ${ceremony}`;
    return () => { document.title = before; };
  }, [loaded, ceremony]);
  return (
    <Box component="main" sx={{ maxWidth: 980, mx: 'auto', p: { xs: 2, lg: 3 }, '@media print': { maxWidth: 'none', p: 0 } }}>
      <GlobalStyles styles={(theme) => ({
        '@page': { size: 'A4', margin: '14mm 14mm 12mm' },
        '@media print': { body: { backgroundColor: theme.palette.common.white, color: theme.palette.common.black } },
      })} />
      <Stack direction="row" spacing={1} sx={{ mb: 2, flexWrap: 'wrap', alignItems: 'center', ...hiddenInPrint }}>
        <Button href="#/journal" variant="outlined">Back to the journal</Button>
        <Button onClick={() => window.print()} variant="outlined" disabled={!view.data}>Print…</Button>
        <Typography variant="body2" sx={{ ml: 1 }}>Print on A4; every person named signs the last page.</Typography>
      </Stack>
      <ErrorAlert error={view.error} />
      {view.data && <SaveAndVerify ceremony={ceremony} complete={view.data.transcript.status === 'complete'} onSaved={view.reload} />}
      {view.loading && !view.data && <Typography>Reading the journal…</Typography>}
      {view.data && (
        <ThemeProvider theme={paper}>
          <Paper variant="outlined" sx={{ p: { xs: 2, md: 4 }, color: 'text.primary', '@media print': { p: 0, border: 0 } }}>
            <TranscriptDocument view={view.data} />
          </Paper>
        </ThemeProvider>
      )}
    </Box>
  );
}
