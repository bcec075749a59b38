/**
 * Run by test/integration/ca/kill-recovered-ca.test.ts: makes a root on a
 * SoftHSM2 token and is killed (SIGKILL, by itself) at the worst moment,
 * after the token signed the root and the result was kept on disk but before
 * the journal recorded the root as done.
 * Usage: root-killed-before-record.ts HOME MODULE KEY_SPKI_SHA256 SUBJECT NAME (PIN in $CUSTOS_PIN)
 */
import type { EntryData, JournalEntry } from '../../main/journal/index.ts';
import { Custos } from '../../main/custos.ts';
import { Secret } from '../../main/secret.ts';
import { createRoot } from '../../main/ca/root.ts';

const [home, modulePath, keySpkiSha256, subject, name] = process.argv.slice(2) as [string, string, string, string, string];

const custos = Custos.open({ dataDir: home, rehearsalModules: [modulePath], operator: 'tester', pcsc: false });
const [listed] = await custos.tokens.list();
await custos.login(listed!.id, Secret.fromString(process.env.CUSTOS_PIN!));
const journal = custos.journal;
const complete = journal.complete.bind(journal);
journal.complete = (intent: JournalEntry, data: EntryData): JournalEntry => {
  if (intent.kind === 'ca.root.intent') process.kill(process.pid, 'SIGKILL');
  return complete(intent, data);
};
await createRoot(custos.ctx, { tokenId: listed!.id, keySpkiSha256, profileId: 'root-ca', subject, name });
console.error('the root was recorded: the kill did not happen');
process.exit(3);
