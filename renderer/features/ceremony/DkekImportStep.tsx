/**
 * A ceremony step that imports DKEK shares, on the screen: the Key domain
 * screen's import step (one custodian at a time, "k of n", each share's KCV
 * and the domain's), with the ceremony's act taking each share. The share
 * file comes from the medium chosen in the pre-flight or the data folder,
 * or is picked here; its password goes with the one call that imports it
 * and is kept nowhere. Once the last share is in, the act's outcome is shown
 * for the room to confirm; a domain already complete (after a resume) is
 * taken by running the step.
 */
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useCallback, useState, type ChangeEvent } from 'react';
import type { Output } from '../../../main/api/contract.ts';
import { visibleText } from '../../../main/api/visible-text.ts';
import { api } from '../../api.ts';
import { useAppState } from '../../AppState.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { VirtualChip } from '../../components/VirtualChip.tsx';
import { useAction } from '../../hooks/useAction.ts';
import { useCall } from '../../hooks/useCall.ts';
import { monoSx } from '../../theme.ts';
import { ImportShareStep, type ShareImportRequest, type ShareImportResult } from '../keydomain/ImportShareStep.tsx';
import { PaperRecordDialog, type PaperRecordData } from '../keydomain/PaperRecord.tsx';
import { useKeyDomainStatus } from '../keydomain/useKeyDomain.ts';
import { toBase64 } from './file-bytes.ts';

type View = Output<'ceremony.start'>;
type ShareFile = Output<'keydomain.files'>[number];

/** A share file picked in the window: its bytes go to the core with the import (a share file is 64 bytes). */
interface PickedFile extends ShareFile { readonly contentBase64: string }

const PICKED = 'picked:';

export function DkekImportStep({ view, onView }: { view: View; onView: (v: View) => void }) {
  const { reloadTokens } = useAppState();
  const place = useCall('ceremony.shareStep', { ceremony: view.id });
  const token = place.data?.token;
  const status = useKeyDomainStatus(token?.id);
  const [picked, setPicked] = useState<PickedFile[]>([]);
  const [record, setRecord] = useState<PaperRecordData>();
  const reloadStatus = status.reload;
  const onImported = useCallback(() => { reloadStatus(); reloadTokens(); }, [reloadStatus, reloadTokens]);

  const importShare = useCallback(async (request: ShareImportRequest): Promise<ShareImportResult> => {
    const chosen = picked.find((p) => p.path === request.path);
    const file = chosen ? { fileName: chosen.fileName, contentBase64: chosen.contentBase64 } : { path: request.path };
    const next = await api.call('ceremony.runStep', {
      ceremony: view.id,
      share: {
        file, ...(request.password !== undefined ? { password: request.password } : {}),
        ...(request.passwordShares !== undefined ? { passwordShares: request.passwordShares } : {}),
        ...(request.expectedShareKcv !== undefined ? { expectedShareKcv: request.expectedShareKcv } : {}),
      },
    });
    // The last share completes the domain and the act: its outcome goes to the room. Before that the act waits for the next custodian.
    if (next.pending?.index === next.nextIndex) onView(next);
    return { complete: next.pending !== undefined };
  }, [picked, view.id, onView]);

  // A domain already complete (the step resumed after its last share went in): the act takes no share, it shows the KCV.
  const run = useAction(useCallback(async () => {
    const next = await api.call('ceremony.runStep', { ceremony: view.id });
    onView(next);
    return next;
  }, [view.id, onView]));

  const onPick = async (e: ChangeEvent<HTMLInputElement>) => {
    const f = e.target.files?.[0];
    e.target.value = '';
    if (!f) return;
    // A share file is 64 bytes: anything much larger is not one, and the core would refuse it by its size anyway.
    const bytes = await f.slice(0, 4096).arrayBuffer();
    const entry: PickedFile = { path: `${PICKED}${f.name}`, fileName: f.name, kind: 'share', bytes: f.size, contentBase64: toBase64(bytes) };
    setPicked((ps) => [...ps.filter((p) => p.path !== entry.path), entry]);
  };

  if (place.error) return <ErrorAlert error={place.error} />;
  if (!token || !status.data) return <LinearProgress aria-label="Reading the HSM's key domain" sx={{ mt: 2 }} />;
  const s = status.data;
  const cardName = `${visibleText(token.label)} (serial ${token.serial})`;
  const files: ShareFile[] = [...(place.data?.files ?? []), ...picked];
  return (
    <Box sx={{ mt: 2 }} data-testid="ceremony-dkek-import">
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 0.5 }}>
        <Typography variant="body2">The shares go into {cardName}.</Typography>
        <VirtualChip show={token.virtual} />
      </Stack>
      {place.data?.primaryKcv && (
        <Typography variant="body2" sx={{ mb: 1 }}>
          It joins the key domain of the ceremony&apos;s HSM: its KCV must come out as <Box component="span" sx={{ ...monoSx, whiteSpace: 'nowrap' }}>{place.data.primaryKcv}</Box>.
        </Typography>
      )}
      <ImportShareStep tokenId={token.id} cardName={cardName} status={s} files={files} made={[]} onImported={onImported}
        onPrint={(x) => setRecord({ ...x, card: cardName, ...(s.complete && s.kcv ? { domainKcv: s.kcv } : {}) })}
        importShare={importShare} {...(place.data?.primaryKcv ? { expectedKcv: place.data.primaryKcv } : {})}
        noFilesText="No share file is on the medium or in the data folder: choose the custodian's file."
        fileAction={(
          <Box>
            <Button variant="outlined" component="label">
              Choose a share file…
              <input type="file" accept=".pbe,application/octet-stream" hidden onChange={(e) => void onPick(e)} />
            </Button>
            {picked.length > 0 && <Typography variant="body2" component="span" sx={{ ml: 1 }}>Chosen: {picked.map((p) => visibleText(p.fileName)).join(', ')} (in the list above)</Typography>}
          </Box>
        )} />
      {s.complete && (
        <Box sx={{ mt: 2 }}>
          <Button variant="contained" onClick={() => void run.run()} disabled={run.running}>{run.running ? 'Running…' : 'Run the step'}</Button>
          <ErrorAlert error={run.error} />
        </Box>
      )}
      <ErrorAlert error={status.error} />
      <PaperRecordDialog record={record} onClose={() => setRecord(undefined)} />
    </Box>
  );
}
