/** kill -9 at 20 moments of a batch of certificates, each exported with its metadata, on SoftHSM2 (test/support/kill-outputs.ts). */
import { describeKillTest } from '../../support/kill-outputs.ts';

describeKillTest('batch');
