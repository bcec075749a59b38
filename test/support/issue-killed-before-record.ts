/**
 * Run by test/integration/ca/kill-recovered-issue.test.ts and
 * kill-recovered-ca.test.ts: signs a certificate on a SoftHSM2 token and is
 * killed (SIGKILL, by itself) at the worst moment, after the token signed and
 * the result was kept on disk but before the journal recorded the certificate
 * as issued.
 * Usage: issue-killed-before-record.ts HOME MODULE CA_ID REQUEST_ID PROFILE [NAME] (PIN in $CUSTOS_PIN);
 * NAME names the new CA when PROFILE is a CA profile.
 */
import { issueCertificate } from '../../main/ca/issue.ts';
import { openKilledBeforeDone } from './killed-before-done.ts';

const [home, modulePath, caId, requestId, profileId, name] = process.argv.slice(2) as [string, string, string, string, string, string | undefined];

const { custos } = await openKilledBeforeDone(home, modulePath, 'certificate.issue.intent');
await issueCertificate(custos.ctx, { caId, requestId, profileId, ...(name ? { name } : {}) });
console.error('the certificate was recorded: the kill did not happen');
process.exit(3);
