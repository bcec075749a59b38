/**
 * The journal carried away: as JSON lines (what custos journal verify reads)
 * or as a page to print for the ceremony's paper record, to the destination
 * chosen. The export itself is recorded in the journal.
 */
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import { useCallback } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { directoryOf, useExportDestination } from '../../components/ExportDestination.tsx';
import { ExportResultView } from '../../components/ExportResultView.tsx';
import { useAction } from '../../hooks/useAction.ts';

export function JournalExport() {
  const { destination, control } = useExportDestination();
  const directory = directoryOf(destination);
  const exporter = useAction(useCallback(async (format: 'jsonl' | 'html') => api.call('journal.export', { format, ...(directory ? { directory } : {}) }), [directory]));
  return (
    <>
      {control}
      <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: 'wrap' }}>
        <Button variant="outlined" onClick={() => void exporter.run('jsonl')} disabled={exporter.running}>Export as JSON lines</Button>
        <Button variant="outlined" onClick={() => void exporter.run('html')} disabled={exporter.running}>Export a page to print</Button>
      </Stack>
      <ErrorAlert error={exporter.error} />
      <ExportResultView result={exporter.result} />
    </>
  );
}
