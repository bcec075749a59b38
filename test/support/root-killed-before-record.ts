/**
 * Run by test/integration/ca/kill-recovered-ca.test.ts and
 * test/e2e/recovered-ca.test.ts: makes a root on a SoftHSM2 token and is
 * killed (SIGKILL, by itself) after the token signed the root and the result
 * was kept on disk but before the journal recorded the root as done.
 * Usage: root-killed-before-record.ts HOME MODULE KEY_SPKI_SHA256 SUBJECT NAME (PIN in $CUSTOS_PIN)
 */
import { createRoot } from '../../main/ca/root.ts';
import { openKilledBeforeDone } from './killed-before-done.ts';

const [home, modulePath, keySpkiSha256, subject, name] = process.argv.slice(2) as [string, string, string, string, string];

const { custos, tokenId } = await openKilledBeforeDone(home, modulePath, 'ca.root.intent');
await createRoot(custos.ctx, { tokenId, keySpkiSha256, profileId: 'root-ca', subject, name });
console.error('the root was recorded: the kill did not happen');
process.exit(3);
