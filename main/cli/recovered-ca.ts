/**
 * What the CLI says of a CA made from a certificate a killed run left kept
 * but unrecorded (CaRecord.recovered): at open, which CA the recovered entry
 * made and what the operator does next; in the CA list, a mark.
 */
import type { CaRecord, CaState } from '../ca/state.ts';
import { shown } from './output.ts';

const NAME_FROM: Readonly<Record<NonNullable<CaRecord['recovered']>['nameFrom'], string>> = {
  intent: '',
  commonName: ' (named after its certificate\'s CN: the run that signed it recorded no name)',
  serial: ' (named after its certificate\'s serial: the run that signed it recorded no name, and its CN gave none free)',
};

/**
 * For the recovered entry entrySeq, when it made a CA: the CA, and the next
 * step. The entry lies under no signed checkpoint (the run ended first), so
 * nothing is signed until a person has read it and signed one.
 */
export function recoveredCaNote(state: CaState, entrySeq: number): string | undefined {
  const ca = [...state.cas.values()].find((c) => c.recovered?.seq === entrySeq);
  if (!ca?.recovered) return undefined;
  return `note: it is the ${ca.kind} CA "${shown(ca.name)}"${NAME_FROM[ca.recovered.nameFrom]}, listed as its done entry would have made it. `
    + 'No signed checkpoint covers it: check the entries after the last checkpoint (custos journal show), then sign one (custos journal checkpoint --token LABEL); until then nothing is signed.';
}

/** The CA list's mark for a recovered CA. */
export function recoveredCaMark(ca: CaRecord): string {
  return ca.recovered ? `  (recorded after an interrupted run, journal entry #${ca.recovered.seq})` : '';
}
