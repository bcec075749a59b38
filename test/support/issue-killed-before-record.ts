/**
 * Run by test/integration/ca/kill-recovered-issue.test.ts: signs a certificate
 * on a SoftHSM2 token and is killed (SIGKILL, by itself) at the worst moment,
 * after the token signed and the result was kept on disk but before the
 * journal recorded the certificate as issued.
 * Usage: issue-killed-before-record.ts HOME MODULE CA_ID REQUEST_ID PROFILE [NAME] (PIN in $CUSTOS_PIN);
 * NAME names the new CA when PROFILE is a CA profile.
 */
import type { EntryData, JournalEntry } from '../../main/journal/index.ts';
import { Custos } from '../../main/custos.ts';
import { Secret } from '../../main/secret.ts';
import { issueCertificate } from '../../main/ca/issue.ts';

const [home, modulePath, caId, requestId, profileId, name] = process.argv.slice(2) as [string, string, string, string, string, string | undefined];

const custos = Custos.open({ dataDir: home, rehearsalModules: [modulePath], operator: 'tester', pcsc: false });
const [listed] = await custos.tokens.list();
await custos.login(listed!.id, Secret.fromString(process.env.CUSTOS_PIN!));
const journal = custos.journal;
const complete = journal.complete.bind(journal);
journal.complete = (intent: JournalEntry, data: EntryData): JournalEntry => {
  if (intent.kind === 'certificate.issue.intent') process.kill(process.pid, 'SIGKILL');
  return complete(intent, data);
};
await issueCertificate(custos.ctx, { caId, requestId, profileId, ...(name ? { name } : {}) });
console.error('the certificate was recorded: the kill did not happen');
process.exit(3);
