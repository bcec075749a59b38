/** kill -9 at 20 moments of a CRL, kept in the data folder and exported with its metadata, on SoftHSM2 (test/support/kill-outputs.ts). */
import { describeKillTest } from '../../support/kill-outputs.ts';

describeKillTest('crl');
