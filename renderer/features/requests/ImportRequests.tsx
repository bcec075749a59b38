/** Three ways in for a CSR: the file picker, drag and drop, or a removable medium. */
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useRef, useState, type DragEvent } from 'react';
import { api, ApiError } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useCatalog } from '../../db/CatalogProvider.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { toApiError, useCall } from '../../hooks/useCall.ts';
import { MAX_CSR_FILE_BYTES, readFileBase64 } from './readFileBase64.ts';
import { visibleText } from '../../../main/api/visible-text.ts';

interface FileOutcome { fileName: string; ids: string[]; error?: ApiError }

/** One line a file: how many requests it brought, or its error with the file named. */
function ImportOutcomes({ outcomes }: { outcomes: FileOutcome[] }) {
  const failed = outcomes.filter((o) => o.error).length;
  return (
    <Box component="section" aria-label="Imported files" sx={{ mt: 1 }}>
      <Typography variant="body2" role="status">
        {outcomes.length} files: {outcomes.length - failed} imported{failed ? `, ${failed} refused` : ''}.
      </Typography>
      <List dense disablePadding>
        {outcomes.map((o, i) => (
          <ListItem key={i} disableGutters sx={{ display: 'block' }}>
            {o.error
              ? <ErrorAlert error={o.error} />
              : <Typography variant="body2">{visibleText(o.fileName)}: {o.ids.length} request{o.ids.length === 1 ? '' : 's'} imported.</Typography>}
          </ListItem>
        ))}
      </List>
    </Box>
  );
}

export function ImportRequests({ onImported }: { onImported: (ids: string[]) => void }) {
  const { sync } = useCatalog();
  const fileInput = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [mediaWanted, setMediaWanted] = useState(false);
  const [medium, setMedium] = useState('');
  const media = useCall('media.list', mediaWanted ? undefined : null);
  const files = useCall('media.files', medium ? { path: medium } : null);

  // Every file is tried and reported on its own: one bad file among several never hides the others' fate.
  const importFiles = useAction(useCallback(async (picked: File[]): Promise<FileOutcome[]> => {
    const outcomes: FileOutcome[] = [];
    for (const f of picked) {
      try {
        if (f.size > MAX_CSR_FILE_BYTES) throw new ApiError({ code: 'CSR_TOO_LARGE', message: `${f.name} is ${f.size} bytes; a request is at most ${MAX_CSR_FILE_BYTES} bytes.`, details: { fileName: f.name } });
        const imported = await api.call('request.import', { fileName: f.name, contentBase64: await readFileBase64(f) });
        outcomes.push({ fileName: f.name, ids: imported.map((r) => r.id) });
      } catch (e) {
        const error = toApiError(e);
        outcomes.push({ fileName: f.name, ids: [], error: new ApiError({ code: error.code, message: error.message, details: { ...error.details, fileName: f.name } }) });
      }
    }
    await sync();
    onImported(outcomes.flatMap((o) => o.ids));
    return outcomes;
  }, [sync, onImported]));

  const importPath = useAction(useCallback(async (path: string) => {
    const imported = await api.call('request.importFromPath', { path });
    await sync();
    onImported(imported.map((r) => r.id));
    return imported;
  }, [sync, onImported]));

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const dropped = [...e.dataTransfer.files];
    if (dropped.length > 0) void importFiles.run(dropped);
  };

  return (
    <Box>
      <Box
        onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid="csr-drop-zone"
        sx={{ border: 2, borderStyle: 'dashed', borderColor: dragging ? 'primary.main' : 'divider', borderRadius: 1, p: 3, textAlign: 'center' }}
      >
        <Typography sx={{ mb: 1 }}>Drop CSR files here (PEM or DER), or</Typography>
        <input
          ref={fileInput}
          id="csr-file-input"
          type="file"
          multiple
          accept=".csr,.pem,.der,.req,.p10"
          aria-label="CSR files"
          style={{ display: 'none' }}
          onChange={(e) => { const picked = [...(e.target.files ?? [])]; e.target.value = ''; if (picked.length) void importFiles.run(picked); }}
        />
        <Button variant="contained" onClick={() => fileInput.current?.click()} disabled={importFiles.running}>
          {importFiles.running ? 'Importing…' : 'Choose CSR files…'}
        </Button>
      </Box>
      <ErrorAlert error={importFiles.error} />
      {importFiles.result && importFiles.result.length > 1 && <ImportOutcomes outcomes={importFiles.result} />}
      {importFiles.result && importFiles.result.length === 1 && <ErrorAlert error={importFiles.result[0]!.error} />}

      <Stack direction="row" spacing={2} sx={{ mt: 2, alignItems: 'center' }}>
        <Button variant="outlined" onClick={() => { setMediaWanted(true); media.reload(); }}>Look for removable media</Button>
        {mediaWanted && (
          <TextField select size="small" label="Medium" value={medium} onChange={(e) => setMedium(e.target.value)} sx={{ minWidth: 240 }}>
            {(media.data ?? []).map((m) => <MenuItem key={m.path} value={m.path}>{visibleText(m.label)} ({visibleText(m.path)})</MenuItem>)}
          </TextField>
        )}
      </Stack>
      {mediaWanted && media.data?.length === 0 && <Typography variant="body2" sx={{ mt: 1 }}>No removable medium found.</Typography>}
      <ErrorAlert error={media.error ?? files.error} />
      {files.data && (
        <List dense aria-label="Files on the medium">
          {files.data.length === 0 && <ListItem><ListItemText primary="No request files on this medium." /></ListItem>}
          {files.data.map((f) => (
            <ListItem key={f.path} secondaryAction={<Button size="small" onClick={() => void importPath.run(f.path)} disabled={importPath.running}>Import</Button>}>
              <ListItemText primary={visibleText(f.name)} secondary={`${f.bytes} bytes`} />
            </ListItem>
          ))}
        </List>
      )}
      <ErrorAlert error={importPath.error} />
    </Box>
  );
}
