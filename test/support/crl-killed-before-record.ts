/**
 * Run by test/integration/ca/kill-recovered-crl.test.ts: previews and issues a
 * CRL on a SoftHSM2 token and is killed (SIGKILL, by itself) at the worst
 * moment, after the token signed and the result was kept on disk but before
 * the journal recorded the CRL as issued.
 * Usage: crl-killed-before-record.ts HOME MODULE CA_ID (PIN in $CUSTOS_PIN).
 */
import { issueCrl, previewCrl } from '../../main/ca/crl.ts';
import { openKilledBeforeDone } from './killed-before-done.ts';

const [home, modulePath, caId] = process.argv.slice(2) as [string, string, string];

const { custos } = await openKilledBeforeDone(home, modulePath, 'crl.issue.intent');
await issueCrl(custos.ctx, { caId, tbsSha256: previewCrl(custos.ctx, { caId }).tbsSha256 });
console.error('the CRL was recorded: the kill did not happen');
process.exit(3);
