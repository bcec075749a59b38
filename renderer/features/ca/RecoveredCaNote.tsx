import Alert from '@mui/material/Alert';
import Typography from '@mui/material/Typography';
import type { CaRow } from '../../db/catalog.ts';

const NAME_FROM: Readonly<Record<NonNullable<CaRow['recovered']>['nameFrom'], string>> = {
  intent: '',
  commonName: ' The run recorded no name for it: it is named after its certificate\'s CN.',
  serial: ' The run recorded no name for it: it is named after its certificate\'s serial.',
};

/** The CA list's mark for a CA whose certificate was recorded after an interrupted run. */
export function RecoveredCaMark({ ca }: { ca: CaRow }) {
  if (!ca.recovered) return null;
  return <Typography variant="caption" component="div" color="text.secondary">Recorded after an interrupted run</Typography>;
}

/**
 * What a recovered CA is and what the operator does next: the recovered
 * entry lies under no signed checkpoint, so nothing is signed until a person
 * has read it and signed one.
 */
export function RecoveredCaNote({ ca }: { ca: CaRow }) {
  if (!ca.recovered) return null;
  return (
    <Alert severity="info" sx={{ mb: 1 }}>
      Recorded after an interrupted run: the token signed this CA&apos;s certificate just before the run ended, and the next start
      recorded it from what was kept (journal entry #{ca.recovered.seq}).{NAME_FROM[ca.recovered.nameFrom]} Check that entry on the
      Journal screen, then sign a checkpoint over it (custos journal checkpoint): until then nothing is signed.
    </Alert>
  );
}
