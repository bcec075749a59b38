/**
 * Where an export goes: the Custos exports folder on this workstation, a
 * removable medium the core lists (media.list, writable ones only), or a
 * folder picked in the shell's own dialog. The window names only what the
 * core offered or the person picked; the core refuses any other folder.
 */
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { useCallback, useState } from 'react';
import type { z } from 'zod';
import type { ExportDestination as Destination } from '../../main/api/contract.ts';
import { api } from '../api.ts';
import { useAction } from '../hooks/useAction.ts';
import { useCall } from '../hooks/useCall.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

type DestinationValue = z.output<typeof Destination>;

/** The folder to pass as `directory`, or undefined for the exports folder. */
export function directoryOf(destination: DestinationValue | undefined): string | undefined {
  return destination === undefined || destination.kind === 'exports' ? undefined : destination.path;
}

export function useExportDestination(): { destination: DestinationValue | undefined; control: React.ReactNode } {
  const offered = useCall('export.destinations', undefined);
  const [picked, setPicked] = useState<DestinationValue[]>([]);
  const [path, setPath] = useState('');
  const pick = useAction(useCallback(async () => {
    const folder = await api.call('export.pickFolder');
    if (folder) {
      setPicked((p) => [...p.filter((d) => d.path !== folder.path), folder]);
      setPath(folder.path);
    }
    return folder;
  }, []));
  const all = [...(offered.data ?? []), ...picked];
  const destination = all.find((d) => d.path === path) ?? all[0];
  const control = (
    <Stack spacing={1} sx={{ mb: 1 }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
        <TextField select size="small" label="Export to" value={destination?.path ?? ''} onChange={(e) => setPath(e.target.value)} sx={{ minWidth: 0, flex: '1 1 320px', maxWidth: 560 }}
          onFocus={() => offered.reload()}>
          {all.map((d) => <MenuItem key={d.path} value={d.path}>{d.label}{d.kind === 'folder' ? ' (folder you chose)' : ''}</MenuItem>)}
        </TextField>
        <Button variant="outlined" onClick={() => void pick.run()} disabled={pick.running}>Choose folder…</Button>
      </Stack>
      <ErrorAlert error={offered.error ?? pick.error} />
    </Stack>
  );
  return { destination, control };
}
