/**
 * Run by test/integration/cvc/kill.test.ts: signs a CV certificate on a
 * SoftHSM2 token and is killed (SIGKILL, by itself) at the worst moment, after
 * the token signed and the result was kept on disk but before the journal
 * recorded the certificate as signed.
 * Usage: cvc-killed-before-record.ts HOME MODULE ISSUER_ID REQUEST_ID PROFILE (PIN in $CUSTOS_PIN)
 */
import type { EntryData, JournalEntry } from '../../main/journal/index.ts';
import { Custos } from '../../main/custos.ts';
import { Secret } from '../../main/secret.ts';
import { signCvcCertificate } from '../../main/cvc/acts.ts';

const [home, modulePath, issuer, requestId, profileId] = process.argv.slice(2) as [string, string, string, string, string];

const custos = Custos.open({ dataDir: home, rehearsalModules: [modulePath], operator: 'tester', pcsc: false });
const [listed] = await custos.tokens.list();
await custos.login(listed!.id, Secret.fromString(process.env.CUSTOS_PIN!));
const journal = custos.journal;
const complete = journal.complete.bind(journal);
journal.complete = (intent: JournalEntry, data: EntryData): JournalEntry => {
  if (intent.kind === 'cvc.certificate.sign.intent') process.kill(process.pid, 'SIGKILL');
  return complete(intent, data);
};
await signCvcCertificate(custos.ctx, { issuer, profileId, requestId });
console.error('the certificate was recorded: the kill did not happen');
process.exit(3);
