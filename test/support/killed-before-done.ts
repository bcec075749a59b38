/**
 * For the scripts a kill -9 test runs as a child: Custos opened on a data
 * directory with its one SoftHSM2 token logged in ($CUSTOS_PIN), which kills
 * itself (SIGKILL) at the worst moment of an act: after the token signed and
 * the result was kept on disk, before the journal records the act as done.
 */
import type { EntryData, JournalEntry } from '../../main/journal/index.ts';
import { Custos } from '../../main/custos.ts';
import { Secret } from '../../main/secret.ts';

export async function openKilledBeforeDone(home: string, modulePath: string, intentKind: string): Promise<{ custos: Custos; tokenId: string }> {
  const custos = Custos.open({ dataDir: home, rehearsalModules: [modulePath], operator: 'tester', pcsc: false });
  const [listed] = await custos.tokens.list();
  await custos.login(listed!.id, Secret.fromString(process.env.CUSTOS_PIN!));
  const journal = custos.journal;
  const complete = journal.complete.bind(journal);
  journal.complete = (intent: JournalEntry, data: EntryData): JournalEntry => {
    if (intent.kind === intentKind) process.kill(process.pid, 'SIGKILL');
    return complete(intent, data);
  };
  return { custos, tokenId: listed!.id };
}
