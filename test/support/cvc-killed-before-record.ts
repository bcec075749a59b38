/**
 * Run by test/integration/cvc/kill.test.ts: signs a CV certificate on a
 * SoftHSM2 token and is killed (SIGKILL, by itself) at the worst moment, after
 * the token signed and the result was kept on disk but before the journal
 * recorded the certificate as signed.
 * Usage: cvc-killed-before-record.ts HOME MODULE ISSUER_ID REQUEST_ID PROFILE (PIN in $CUSTOS_PIN)
 */
import { openKilledBeforeDone } from './killed-before-done.ts';
import { signCvcCertificate } from '../../main/cvc/acts.ts';

const [home, modulePath, issuer, requestId, profileId] = process.argv.slice(2) as [string, string, string, string, string];

const { custos } = await openKilledBeforeDone(home, modulePath, 'cvc.certificate.sign.intent');
await signCvcCertificate(custos.ctx, { issuer, profileId, requestId });
console.error('the certificate was recorded: the kill did not happen');
process.exit(3);
