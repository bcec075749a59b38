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
 * entry was written with no signed checkpoint after it, so nothing is signed
 * until a person has read it and signed one (said so that it stays true once
 * one has been signed).
 */
export function RecoveredCaNote({ ca }: { ca: CaRow }) {
  if (!ca.recovered) return null;
  return (
    <Alert severity="info" sx={{ mb: 1 }}>
      Recorded after an interrupted run: the token signed this CA&apos;s certificate just before the run ended, and the next start
      recorded it from what was kept (journal entry #{ca.recovered.seq}).{NAME_FROM[ca.recovered.nameFrom]} Nothing is signed until a
      signed checkpoint covers that entry: if the Journal screen shows it under none, check it, then sign one (custos journal checkpoint).
    </Alert>
  );
}
