/**
 * Run by test/integration/quorum/register-killed.test.ts: registers a custodian
 * on a virtual CA HSM as `custos quorum register` does, and is killed (SIGKILL,
 * by itself) mid-registration: 'before-card' once the intent is on disk and
 * before the HSM is asked, 'after-card' once the HSM registered the key and
 * before the journal recorded it.
 * Usage: quorum-register-killed.ts HOME MOMENT REGISTRATION_FILE STATE_FILE... (the HSM's state file first; PIN in $CUSTOS_PIN)
 */
import { readFileSync } from 'node:fs';
import type { EntryData, JournalEntry } from '../../main/journal/index.ts';
import { Custos } from '../../main/custos.ts';
import { VirtualScHsmProvider } from '../../main/hsm/sc-hsm/provider.ts';
import { QUORUM_REGISTER, registerCustodian } from '../../main/quorum/quorum.ts';
import { Secret } from '../../main/secret.ts';

const [home, moment, file, hsmFile, ...others] = process.argv.slice(2) as [string, 'before-card' | 'after-card', string, string, ...string[]];

const custos = Custos.open({ dataDir: home, providers: [new VirtualScHsmProvider([hsmFile, ...others])], pcsc: false, rehearsal: true, operator: 'tester' });
const listed = await custos.tokens.list();
const hsm = listed.find((t) => t.info.reader?.endsWith(`(${hsmFile.split('/').at(-1)!})`) === true)!;
await custos.login(hsm.id, Secret.fromString(process.env.CUSTOS_PIN!));
const journal = custos.journal;
const settle = journal.settle.bind(journal);
journal.settle = async <T>(intent: JournalEntry, act: () => Promise<T>, fallbackCode?: string): Promise<T> => {
  if (moment === 'before-card' && intent.kind === `${QUORUM_REGISTER}.intent`) {
    await journal.durable(intent);
    process.kill(process.pid, 'SIGKILL');
  }
  return await settle(intent, act, fallbackCode);
};
const complete = journal.complete.bind(journal);
journal.complete = (intent: JournalEntry, data: EntryData): JournalEntry => {
  if (moment === 'after-card' && intent.kind === `${QUORUM_REGISTER}.intent`) process.kill(process.pid, 'SIGKILL');
  return complete(intent, data);
};
await registerCustodian(custos, hsm.id, new Uint8Array(readFileSync(file)));
console.error('the registration was recorded: the kill did not happen');
process.exit(3);
